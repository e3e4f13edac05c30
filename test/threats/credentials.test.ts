/**
 * threats.md §5 — credentials: a unique user name and password (and every base64 form they take on
 * the wire) must appear in no log entry, event, error message / JSON / util.inspect, nor in the
 * client's own inspect/JSON — on success, on a 535 and on a connection cut mid-AUTH; PLAIN and LOGIN.
 */
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { SmtpError } from '../../src/errors/smtp-error.js';
import type { ClientEvent } from '../../src/transport/client-options.js';
import { harness, MESSAGE, rejection } from '../support/client-harness.js';
import type { ScriptedServerOptions } from '../support/scripted-server.js';

const envelope = { from: 'a@example.test', to: ['b@example.test'], message: MESSAGE };
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

function canaries(): { user: string; pass: string; secrets: string[] } {
  const tag = randomBytes(6).toString('hex').toUpperCase();
  const user = `AKIA${tag}USER`;
  const pass = `pw-${tag}-SECRET`;
  const secrets = [user, pass, b64(user), b64(pass), b64(`\0${user}\0${pass}`), tag];
  return { user, pass, secrets };
}

/** Every string a caller could see: log events, the error (and its causes), the client. */
function surfaces(events: readonly ClientEvent[], error: SmtpError | undefined, client: unknown): string[] {
  const texts = events.flatMap((event) => [JSON.stringify(event), inspect(event, { depth: 10 })]);
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    texts.push(
      current.message,
      String(current.stack),
      JSON.stringify(current),
      inspect(current, { depth: 10, showHidden: true }),
    );
  }
  if (client !== undefined) {
    texts.push(JSON.stringify(client), inspect(client, { depth: 10, showHidden: true }), String(client));
  }
  return texts;
}

function expectNoSecret(texts: readonly string[], secrets: readonly string[]): void {
  for (const text of texts) {
    for (const secret of secrets) expect(text).not.toContain(secret);
  }
}

type Scenario = 'success' | '535' | 'cut after AUTH' | 'cut after the password' | '535 echoing the user';

function serverFor(scenario: Scenario, user: string, pass: string): ScriptedServerOptions {
  const credentials = { user, pass: scenario === '535' ? `${pass}-other` : pass };
  switch (scenario) {
    case 'success':
    case '535':
      return { credentials };
    case '535 echoing the user':
      // Some servers quote the user name in the refusal (it is an IAM key id on SES).
      return {
        overrides: {
          AUTH_RESPONSE: `535 5.7.8 Authentication failed for ${user}`,
          AUTH: (line) =>
            line.split(' ').length > 2 && line.includes('PLAIN')
              ? `535 5.7.8 Authentication failed for ${user}`
              : undefined,
        },
      };
    case 'cut after AUTH':
      return {
        overrides: {
          AUTH: (_line, connection) => {
            connection.destroy();
            return null;
          },
        },
      };
    case 'cut after the password':
      return {
        overrides: {
          AUTH: (line, connection, fallback) => {
            if (line.split(' ').length > 2 && line.includes('PLAIN')) {
              connection.destroy();
              return null;
            }
            return fallback();
          },
          AUTH_RESPONSE: (_line, connection, fallback) => {
            if (connection.state.auth?.step === 'pass') {
              connection.destroy();
              return null;
            }
            return fallback();
          },
        },
      };
  }
}

const SCENARIOS: readonly Scenario[] = ['success', '535', 'cut after AUTH', 'cut after the password'];

describe('threats §5: credentials never leak', () => {
  for (const method of ['PLAIN', 'LOGIN'] as const) {
    for (const scenario of SCENARIOS) {
      it(`keeps ${method} credentials out of logs, events, errors and inspect (${scenario})`, async () => {
        const { user, pass, secrets } = canaries();
        const events: ClientEvent[] = [];
        const { server, client } = await harness(serverFor(scenario, user, pass), {
          auth: { user, pass, method },
          logger: (event) => events.push(event),
        });
        let error: SmtpError | undefined;
        if (scenario === 'success') await client.send(envelope);
        else error = await rejection(client.send(envelope));
        await client.close();

        // The secrets really went on the wire (so the canaries mean something).
        const wire = server.connections[0]!.commands.map((c) => c.line).join('\n');
        if (!(method === 'LOGIN' && scenario === 'cut after AUTH')) {
          expect(wire).toContain(method === 'PLAIN' ? b64(`\0${user}\0${pass}`) : b64(user));
        }
        if (scenario === 'success') expect(server.transactions).toHaveLength(1);
        else expect(error!.phase).toBe('auth');

        expect(events.some((e) => e.type === 'transcript')).toBe(true);
        const clientAuthLines = events.filter(
          (e) => e.type === 'transcript' && e.direction === 'client' && e.redacted,
        );
        expect(clientAuthLines.length).toBeGreaterThan(0);
        expectNoSecret(surfaces(events, error, client), secrets);
      });
    }
  }

  it('redacts every client line while authenticating, the user name line included (LOGIN)', async () => {
    const { user, pass } = canaries();
    const events: ClientEvent[] = [];
    const { client } = await harness(
      {},
      { auth: { user, pass, method: 'LOGIN' }, logger: (e) => events.push(e) },
    );
    await client.send(envelope);
    const clientLines = events.flatMap((e) =>
      e.type === 'transcript' && e.direction === 'client' ? [e] : [],
    );
    const authStart = clientLines.findIndex((e) => e.redacted);
    // AUTH LOGIN, the user name and the password: three redacted lines, then MAIL in the clear.
    expect(
      clientLines.slice(authStart, authStart + 3).every((e) => e.redacted && !e.text.includes('AKIA')),
    ).toBe(true);
    expect(clientLines[authStart + 3]!.text).toMatch(/^MAIL FROM:/);
  });
});

describe('threats §5: a server that echoes the user name in its 535', () => {
  for (const method of ['PLAIN', 'LOGIN'] as const) {
    it(`keeps the echoed ${method} user name out of the error's message, JSON and inspect`, async () => {
      const { user, pass, secrets } = canaries();
      const { client } = await harness(serverFor('535 echoing the user', user, pass), {
        auth: { user, pass, method },
      });
      const error = await rejection(client.send(envelope));
      expect(error).toMatchObject({ code: 'SMTP_AUTH_FAILED', phase: 'auth' });
      expectNoSecret(surfaces([], error, client), secrets);
    });
  }

  it('keeps the echoed user name out of the log (server lines while authenticating)', async () => {
    const { user, pass, secrets } = canaries();
    const events: ClientEvent[] = [];
    const { client } = await harness(serverFor('535 echoing the user', user, pass), {
      auth: { user, pass, method: 'PLAIN' },
      logger: (event) => events.push(event),
    });
    await rejection(client.send(envelope));
    expectNoSecret(surfaces(events, undefined, undefined), secrets);
  });
});
