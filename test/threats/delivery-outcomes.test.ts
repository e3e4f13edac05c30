/**
 * threats.md §7 — delivery outcomes (RFC 1047, RFC 5321 §4.5.3.2.6): a close or timeout after the
 * final dot and before its reply is 'unknown'; at every earlier point 'not-sent' (and the server has
 * no message); 4xx is not-sent and retryable, 5xx rejected; per-recipient results. Never retried.
 */
import { describe, expect, it } from 'vitest';
import type { SmtpError } from '../../src/errors/smtp-error.js';
import { createClient } from '../../src/transport/client.js';
import { harness, MESSAGE, rejection } from '../support/client-harness.js';
import { startLenientServer } from '../support/lenient-server.js';
import type { ScriptedOverride, ScriptedServer, ScriptedVerb } from '../support/scripted-server.js';
import { tlsFixtures } from '../support/tls-fixtures.js';

const envelope = { from: 'a@example.test', to: ['b@example.test'], message: MESSAGE };
const auth = { user: 'outcome-user', pass: 'outcome-pass' };
const SHORT = {
  greeting: 150,
  command: 150,
  dataStart: 150,
  dataBlock: 150,
  dataTermination: 150,
  connect: 300,
};

const cut: ScriptedOverride = (_line, connection) => {
  connection.destroy();
  return null;
};

/** Never sent automatically again: wait a little and count what reached the server. */
async function settleQuietly(server: ScriptedServer): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 50));
  expect(server.connections).toHaveLength(1);
}

function expectNotSent(error: SmtpError, server: ScriptedServer): void {
  expect(error.outcome).toBe('not-sent');
  expect(server.transactions).toEqual([]);
}

describe('threats §7: lost after the final dot → unknown (may have been delivered)', () => {
  it('close after the dot before its reply: SMTP_CONNECTION_CLOSED, unknown, not retried', async () => {
    const { server, client } = await harness({ overrides: { DOT: cut } }, { auth });
    const error = await rejection(client.send(envelope));
    expect(error).toMatchObject({ code: 'SMTP_CONNECTION_CLOSED', outcome: 'unknown', phase: 'data-end' });
    expect(server.transactions).toHaveLength(1);
    await settleQuietly(server);
    expect(server.transactions).toHaveLength(1);
  });

  it('timeout after the dot: SMTP_TIMEOUT, unknown, not retried', async () => {
    const { server, client } = await harness({ overrides: { DOT: null } }, { auth, timeouts: SHORT });
    const error = await rejection(client.send(envelope));
    expect(error).toMatchObject({ code: 'SMTP_TIMEOUT', outcome: 'unknown', phase: 'data-end' });
    await settleQuietly(server);
    expect(server.transactions).toHaveLength(1);
  });
});

describe('threats §7: lost before the final dot → not-sent, and the server has nothing', () => {
  const points: readonly ScriptedVerb[] = ['GREETING', 'EHLO', 'STARTTLS', 'AUTH', 'MAIL', 'RCPT', 'DATA'];
  for (const verb of points) {
    for (const pipelining of [true, false]) {
      it(`close at ${verb} (pipelining ${pipelining}): not-sent`, async () => {
        const { server, client } = await harness({ overrides: { [verb]: cut } }, { auth, pipelining });
        const error = await rejection(client.send(envelope));
        expect(['SMTP_CONNECTION_CLOSED', 'SMTP_TLS_FAILED']).toContain(error.code);
        expectNotSent(error, server);
        await settleQuietly(server);
      });
    }

    it(`timeout at ${verb}: SMTP_TIMEOUT, not-sent`, async () => {
      // Lock-step, so that a silent MAIL is not followed by the server's own 503 to a pipelined RCPT.
      const { server, client } = await harness(
        { overrides: { [verb]: null } },
        { auth, timeouts: SHORT, pipelining: false },
      );
      const error = await rejection(client.send(envelope));
      expect(error.code).toBe('SMTP_TIMEOUT');
      expectNotSent(error, server);
      await settleQuietly(server);
    });
  }

  it('close during the TLS handshake (server cuts while the ClientHello waits): not-sent', async () => {
    const fixtures = await tlsFixtures();
    const server = await startLenientServer({
      tls: { key: fixtures.server.key, cert: fixtures.server.cert },
      reply: (line, connection) => {
        if (line !== 'STARTTLS') return undefined;
        connection.writeRaw('220 2.0.0 go ahead\r\n');
        setTimeout(() => connection.destroy(), 30);
        return null;
      },
    });
    const client = createClient({
      host: 'localhost',
      address: '127.0.0.1',
      port: server.port,
      tls: { ca: fixtures.ca.cert },
      auth,
    });
    try {
      const error = await rejection(client.send(envelope));
      expect(['SMTP_CONNECTION_CLOSED', 'SMTP_TLS_FAILED']).toContain(error.code);
      expect(error.outcome).toBe('not-sent');
      expect(server.transactions).toEqual([]);
    } finally {
      await server.close();
      await client.close();
    }
  });

  it('timeout during the TLS handshake (server never answers the ClientHello): not-sent', async () => {
    const fixtures = await tlsFixtures();
    const server = await startLenientServer({
      tls: { key: fixtures.server.key, cert: fixtures.server.cert },
      reply: (line, connection) => {
        if (line !== 'STARTTLS') return undefined;
        connection.writeRaw('220 2.0.0 go ahead\r\n');
        return null; // and never speaks TLS
      },
    });
    const client = createClient({
      host: 'localhost',
      address: '127.0.0.1',
      port: server.port,
      tls: { ca: fixtures.ca.cert },
      auth,
      timeouts: SHORT,
    });
    try {
      const error = await rejection(client.send(envelope));
      expect(['SMTP_TIMEOUT', 'SMTP_TLS_FAILED']).toContain(error.code);
      expect(error.outcome).toBe('not-sent');
      expect(server.transactions).toEqual([]);
    } finally {
      await server.close();
      await client.close();
    }
  });

  it('close in the middle of the body: not-sent, no terminator reached the server', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    async function* body(): AsyncIterable<Uint8Array> {
      yield Buffer.from('Subject: half\r\n\r\nfirst half\r\n');
      await gate;
      yield Buffer.from('second half\r\n');
    }
    const { server, client } = await harness(
      {
        overrides: {
          DATA: (_line, connection) => {
            setTimeout(() => {
              connection.destroy();
              setTimeout(release, 20);
            }, 30);
            return '354 go ahead';
          },
        },
      },
      { auth },
    );
    const error = await rejection(client.send({ ...envelope, message: body() }));
    expect(error.code).toBe('SMTP_CONNECTION_CLOSED');
    expectNotSent(error, server);
  });

  it('timeout in the middle of the body (stalled stream): SMTP_TIMEOUT, not-sent, no dot written', async () => {
    async function* body(): AsyncIterable<Uint8Array> {
      yield Buffer.from('Subject: stall\r\n\r\nstart\r\n');
      await new Promise((resolve) => setTimeout(resolve, 1000));
      yield Buffer.from('never\r\n');
    }
    const { server, client } = await harness({}, { auth, timeouts: SHORT });
    const error = await rejection(client.send({ ...envelope, message: body() }));
    expect(error.code).toBe('SMTP_TIMEOUT');
    expectNotSent(error, server);
  });
});

describe('threats §7: refusals', () => {
  const refusals: readonly (readonly [ScriptedVerb, string, 'not-sent' | 'rejected', boolean])[] = [
    ['MAIL', '451 4.3.0 try later', 'not-sent', true],
    ['RCPT', '450 4.2.0 mailbox busy', 'not-sent', true],
    ['DATA', '451 4.3.0 try later', 'not-sent', true],
    ['DOT', '451 4.3.0 queue trouble', 'not-sent', true],
    ['MAIL', '550 5.7.1 sender refused', 'rejected', false],
    ['RCPT', '550 5.1.1 no such user', 'rejected', false],
    ['DATA', '554 5.5.1 no valid recipients', 'rejected', false],
    ['DOT', '554 5.7.1 message refused', 'rejected', false],
  ];
  for (const [verb, reply, outcome, retryable] of refusals) {
    it(`${reply.slice(0, 3)} to ${verb}: outcome ${outcome}, retryable ${retryable}, sent once`, async () => {
      const { server, client } = await harness({ overrides: { [verb]: reply } }, { auth });
      const error = await rejection(client.send(envelope));
      expect(error).toMatchObject({ outcome, retryable });
      expect(error.reply?.code).toBe(Number(reply.slice(0, 3)));
      // The session survives a refusal (RSET) and the message is not sent again by the client.
      server.override(verb, undefined);
      await client.send(envelope);
      expect(server.connections).toHaveLength(1);
      const attempts = server.connections[0]!.commands.filter((c) => c.verb === 'MAIL');
      expect(attempts).toHaveLength(2);
    });
  }

  it('per-recipient results: 250, 452 and 550 in one transaction', async () => {
    const replies: Record<string, string> = {
      'RCPT TO:<ok@example.test>': '250 2.1.5 ok',
      'RCPT TO:<full@example.test>': '452 4.2.2 mailbox full',
      'RCPT TO:<gone@example.test>': '550 5.1.1 no such user',
    };
    const { server, client } = await harness({ overrides: { RCPT: (line) => replies[line] } }, { auth });
    const result = await client.send({
      ...envelope,
      to: ['ok@example.test', 'full@example.test', 'gone@example.test'],
    });
    expect(result.accepted).toEqual(['ok@example.test']);
    expect(result.rejected.map((r) => [r.recipient, r.reply.code])).toEqual([
      ['full@example.test', 452],
      ['gone@example.test', 550],
    ]);
    expect(server.transactions.map((t) => t.to)).toEqual([['ok@example.test']]);
  });

  it('every recipient refused: SMTP_ALL_RECIPIENTS_REJECTED with each refusal, no DATA body', async () => {
    const { server, client } = await harness(
      { overrides: { RCPT: (line) => (line.includes('full') ? '452 4.2.2 full' : '550 5.1.1 gone') } },
      { auth },
    );
    const error = await rejection(
      client.send({ ...envelope, to: ['full@example.test', 'gone@example.test'] }),
    );
    expect(error.code).toBe('SMTP_ALL_RECIPIENTS_REJECTED');
    expect(error.rejectedRecipients?.map((r) => [r.recipient, r.reply.code])).toEqual([
      ['full@example.test', 452],
      ['gone@example.test', 550],
    ]);
    expect(error.outcome).not.toBe('unknown');
    expect(server.transactions).toEqual([]);
  });
});
