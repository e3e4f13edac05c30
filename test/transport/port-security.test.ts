/**
 * Port and TLS mode mixed up. Port 465 is implicit TLS on any host ("submissions", RFC 8314 §3.3):
 * STARTTLS or plaintext there waits for a greeting the server never sends (it waits for a
 * ClientHello) until the greeting timeout, and a pool retries that for an hour; so it is refused
 * when the client or pool is created, by the same rule that refuses SES's ports in the wrong mode.
 * The opposite mix-up, implicit TLS to a port that speaks plaintext first, needs no rule: the
 * server's greeting is not a TLS record, and the handshake fails at once with a clear error.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { attemptsOf } from '../../src/delivery/attempt-history.js';
import { createPool } from '../../src/delivery/pool.js';
import { SmtpError } from '../../src/errors/smtp-error.js';
import { createClient } from '../../src/transport/client.js';
import { type ClientOptions, resolveClientOptions } from '../../src/transport/client-options.js';
import { MESSAGE, rejection } from '../support/client-harness.js';
import { startScriptedServer } from '../support/scripted-server.js';
import { tlsFixtures } from '../support/tls-fixtures.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const HOST = 'smtp.example.test';

function refusal(create: () => unknown): SmtpError {
  try {
    create();
  } catch (error) {
    if (error instanceof SmtpError) return error;
    throw error;
  }
  throw new Error('expected an SmtpError at creation');
}

describe('port 465 is implicit TLS on any host (RFC 8314 §3.3)', () => {
  const entryPoints: Record<string, (options: ClientOptions) => unknown> = {
    resolveClientOptions: (options) => resolveClientOptions(options),
    createClient: (options) => createClient(options),
    createPool: (options) => createPool(options),
  };

  for (const [entry, create] of Object.entries(entryPoints)) {
    it.each(['starttls', 'starttls-opportunistic', 'none'] as const)(
      `${entry}: security %s on 465 is SMTP_INVALID_ARGUMENT naming security, before anything connects`,
      (security) => {
        for (const options of [
          { host: HOST, port: 465, security },
          { host: HOST, address: '127.0.0.1', port: 465, security },
          { host: '192.0.2.1', port: 465, security },
        ]) {
          const error = refusal(() => create(options));
          expect(error).toMatchObject({ code: 'SMTP_INVALID_ARGUMENT', field: 'security', origin: 'local' });
          expect(error.message).toBe(
            "security: port 465 is implicit TLS (RFC 8314 §3.3): use security 'implicit', or port 587 for STARTTLS",
          );
        }
      },
    );
  }

  it('implicit TLS on 465 (given or by default) is taken', () => {
    expect(resolveClientOptions({ host: HOST, port: 465 }).security).toBe('implicit');
    expect(resolveClientOptions({ host: HOST, port: 465, security: 'implicit' }).security).toBe('implicit');
  });

  it('other ports are left to the server: 2465 (SES’s own convention), 587, 25, 2525 in any mode', () => {
    for (const [port, security] of [
      [2465, 'starttls'],
      [587, 'implicit'],
      [25, 'none'],
      [2525, 'starttls-opportunistic'],
    ] as const) {
      expect(resolveClientOptions({ host: HOST, port, security }).security).toBe(security);
    }
  });

  it('on an SES host the same rule speaks of SES’s ports', () => {
    const error = refusal(() =>
      resolveClientOptions({ host: 'email-smtp.eu-west-1.amazonaws.com', port: 465, security: 'starttls' }),
    );
    expect(error.message).toBe(
      "security: SES port 465 is implicit TLS: use security 'implicit', or port 587/2587 for STARTTLS",
    );
  });
});

describe('implicit TLS to a port that greets in plaintext fails at once (loopback)', () => {
  // Long enough that waiting for any of them would fail the test (vitest's limit is 20 s).
  const LONG = { connect: 60_000, greeting: 60_000, command: 60_000 };

  async function plaintextServer() {
    const fixtures = await tlsFixtures();
    const server = await startScriptedServer({ tls: fixtures.server });
    cleanups.push(() => server.close());
    return {
      server,
      options: {
        host: 'localhost',
        address: '127.0.0.1',
        port: server.port,
        security: 'implicit',
        tls: { ca: fixtures.ca.cert },
        timeouts: LONG,
      } as const,
    };
  }

  it('createClient: SMTP_TLS_FAILED in the tls phase, not retryable, saying the port did not answer with TLS', async () => {
    const { server, options } = await plaintextServer();
    const client = createClient(options);
    cleanups.push(() => client.close());
    const started = performance.now();
    const error = await rejection(
      client.send({ from: 'a@example.test', to: ['b@example.test'], message: MESSAGE }),
    );
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(error).toMatchObject({
      code: 'SMTP_TLS_FAILED',
      phase: 'tls',
      outcome: 'not-sent',
      retryable: false,
    });
    expect(error.message).toMatch(/did not answer with TLS: is this port STARTTLS/);
    expect(server.connections).toHaveLength(1);
  });

  it('createPool: the same error after one attempt, not retried', async () => {
    const { server, options } = await plaintextServer();
    const pool = createPool({ ...options, retry: { delaysMs: [10, 10], maxAttempts: 3 } });
    cleanups.push(() => pool.close({ deadlineMs: 500 }));
    const error = await rejection(
      pool.send({ from: 'a@example.test', to: ['b@example.test'], message: MESSAGE }),
    );
    expect(error).toMatchObject({ code: 'SMTP_TLS_FAILED', phase: 'tls', retryable: false });
    expect(attemptsOf(error)).toHaveLength(1);
    expect(server.connections).toHaveLength(1);
  });
});
