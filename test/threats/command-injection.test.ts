/**
 * threats.md §3 — command injection: every caller value that reaches a command line (EHLO name,
 * MAIL FROM, RCPT TO, AUTH credentials; plus host/servername/maxMessageSize options) × every
 * injection payload is refused with an SmtpUsageError naming the field, never echoing the value,
 * before any connection is opened. `"a@b x"@c.example` is a valid address and goes out intact.
 */
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { SmtpError, SmtpUsageError } from '../../src/errors/smtp-error.js';
import { createClient } from '../../src/transport/client.js';
import type { ClientOptions } from '../../src/transport/client-options.js';
import { harness, MESSAGE, rejection } from '../support/client-harness.js';
import { type ScriptedServer, startScriptedServer } from '../support/scripted-server.js';

/** A token in every hostile value: it must appear in no error surface. */
const CANARY = 'zq9canary';

const PAYLOADS: readonly (readonly [string, string])[] = [
  ['CRLF', '\r\n'],
  ['bare CR', '\r'],
  ['bare LF', '\n'],
  ['NUL', '\0'],
  ['DEL', '\x7f'],
  ['TAB', '\t'],
  ['SOH (the XOAUTH2 separator)', '\x01'],
  ['CRLF + RCPT TO', '\r\nRCPT TO:<evil@x>'],
  ['> CRLF DATA', '>\r\nDATA'],
];

/** Address-shaped hostile values: payload appended, inside the local part, inside a quoted local part. */
function hostileAddresses(payload: string): readonly (readonly [string, string])[] {
  return [
    ['appended', `${CANARY}@example.test${payload}`],
    ['in the local part', `${CANARY}${payload}x@example.test`],
    ['in a quoted local part', `"${CANARY}${payload}x"@example.test`],
    ['in the domain', `${CANARY}@exa${payload}mple.test`],
  ];
}

function expectRefusal(error: unknown, field: string): void {
  expect(error).toBeInstanceOf(SmtpUsageError);
  const usage = error as SmtpUsageError;
  expect(usage.field).toBe(field);
  expect(usage.outcome).toBe('not-sent');
  expect(usage.origin).toBe('local');
  for (const surface of [usage.message, JSON.stringify(usage), inspect(usage), String(usage.stack)]) {
    expect(surface).not.toContain(CANARY);
    expect(surface).not.toContain('evil@x');
  }
}

function thrownBy(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

let counting: ScriptedServer | undefined;
afterEach(async () => {
  await counting?.close();
  counting = undefined;
});

async function countingServer(): Promise<ScriptedServer> {
  counting = await startScriptedServer();
  return counting;
}

function optionsFor(server: ScriptedServer, extra: Partial<ClientOptions>): ClientOptions {
  return {
    host: '127.0.0.1',
    port: server.port,
    security: 'none',
    dangerouslyAllowAuthWithoutTls: true,
    ...extra,
  };
}

async function noConnection(server: ScriptedServer): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 20));
  expect(server.connections).toHaveLength(0);
}

describe('threats §3: envelope addresses', () => {
  for (const [payloadName, payload] of PAYLOADS) {
    for (const [where, value] of hostileAddresses(payload)) {
      it(`defends MAIL FROM against ${payloadName} ${where}: SmtpUsageError(from), no connection`, async () => {
        const { server, client } = await harness({}, { security: 'none' });
        const error = await rejection(
          client.send({ from: value, to: ['ok@example.test'], message: MESSAGE }),
        );
        expectRefusal(error, 'from');
        await noConnection(server);
      });

      it(`defends RCPT TO against ${payloadName} ${where}: SmtpUsageError(to[1]), no connection`, async () => {
        const { server, client } = await harness({}, { security: 'none' });
        const error = await rejection(
          client.send({ from: 'ok@example.test', to: ['ok@example.test', value], message: MESSAGE }),
        );
        expectRefusal(error, 'to[1]');
        await noConnection(server);
      });
    }
  }
});

describe('threats §3: EHLO name, credentials and connection options', () => {
  for (const [payloadName, payload] of PAYLOADS) {
    it(`defends the EHLO name (clientName) against ${payloadName}: refused by createClient`, async () => {
      const server = await countingServer();
      const error = thrownBy(() =>
        createClient(optionsFor(server, { clientName: `${CANARY}.test${payload}` })),
      );
      expectRefusal(error, 'clientName');
      await noConnection(server);
    });

    for (const field of ['user', 'pass'] as const) {
      it(`defends auth.${field} against ${payloadName}: refused by createClient, nothing written`, async () => {
        const server = await countingServer();
        const auth = { user: 'user', pass: 'pass', [field]: `${CANARY}${payload}x` };
        const error = thrownBy(() => createClient(optionsFor(server, { auth })));
        expectRefusal(error, `auth.${field}`);
        await noConnection(server);
      });
    }

    it(`defends host and tls.servername against ${payloadName}`, async () => {
      const server = await countingServer();
      expectRefusal(
        thrownBy(() => createClient({ host: `${CANARY}${payload}.test`, port: server.port })),
        'host',
      );
      expectRefusal(
        thrownBy(() =>
          createClient({
            host: '127.0.0.1',
            port: server.port,
            tls: { servername: `${CANARY}${payload}.test` },
          }),
        ),
        'tls.servername',
      );
      await noConnection(server);
    });
  }

  it('defends SIZE: maxMessageSize must be a number, never text spliced into MAIL', async () => {
    const server = await countingServer();
    const maxMessageSize = `100 ${CANARY}\r\nRCPT TO:<evil@x>` as unknown as number;
    expectRefusal(
      thrownBy(() => createClient(optionsFor(server, { maxMessageSize }))),
      'maxMessageSize',
    );
    await noConnection(server);
  });
});

describe('threats §3: SASL framing (RFC 4616 §2: NUL separates authzid, authcid and passwd)', () => {
  it('refuses a user name that smuggles a password after NUL: the PLAIN payload must keep its 3 fields', async () => {
    // With the bug, \0victim\0attacker-pass\0ignored decodes as user "victim", password
    // "attacker-pass" on servers that split on NUL (the scripted server does): the caller's
    // password is never checked. The user name must be refused before anything is written.
    const { server } = await harness({ credentials: { user: 'victim', pass: 'attacker-pass' } });
    const error = thrownBy(() =>
      createClient({
        host: 'localhost',
        address: '127.0.0.1',
        port: server.port,
        auth: { user: `victim\0attacker-pass`, pass: `${CANARY}-ignored` },
      }),
    );
    expectRefusal(error, 'auth.user');
    await noConnection(server);
  });
});

describe('threats §3: limits (RFC 5321 §4.5.3.1) are checked before any byte is written', () => {
  const cases: readonly (readonly [string, string])[] = [
    ['a 65-octet local part', `${CANARY}${'l'.repeat(56)}@example.test`],
    [
      'a 256-octet domain',
      `${CANARY}@${'d'.repeat(63)}.${'d'.repeat(63)}.${'d'.repeat(63)}.${'d'.repeat(63)}.test`,
    ],
    ['an empty recipient <>', ''],
    ['a missing domain', `${CANARY}`],
  ];
  for (const [name, value] of cases) {
    it(`refuses ${name} as a recipient`, async () => {
      const { server, client } = await harness({}, { security: 'none' });
      const error = await rejection(client.send({ from: '', to: [value], message: MESSAGE }));
      expect(error).toBeInstanceOf(SmtpError);
      expectRefusal(error, 'to[0]');
      await noConnection(server);
    });
  }
});

describe('threats §3: address-parser confusion (GHSA-mm7p-fcc7-pg87)', () => {
  it('sends "a@b x"@c.example intact: one RCPT for c.example, nothing for b', async () => {
    const { server, client } = await harness({}, { security: 'none' });
    await client.send({ from: '"a@b x"@c.example', to: ['"a@b x"@c.example'], message: MESSAGE });
    const lines = server.connections[0]!.commands.map((c) => c.line);
    expect(lines.filter((l) => l.startsWith('MAIL'))).toEqual([
      expect.stringMatching(/^MAIL FROM:<"a@b x"@c\.example>/),
    ]);
    expect(lines.filter((l) => l.startsWith('RCPT'))).toEqual(['RCPT TO:<"a@b x"@c.example>']);
    expect(server.transactions.map((t) => t.to)).toEqual([['"a@b x"@c.example']]);
  });
});
