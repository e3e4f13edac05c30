/**
 * createPool and createClient options, from the API review: the pool copies the caller's nested
 * objects when it is created (README: its credentials cannot change, tls is copied); a close deadline
 * beyond a timer's range is no deadline (not one that fires at once); timeouts, rateLimit and close()
 * options refuse unknown names and wrong shapes by name; createPool(null) is a usage error.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createPool, type Pool } from '../../src/delivery/pool.js';
import { SmtpUsageError } from '../../src/errors/smtp-error.js';
import { createClient } from '../../src/transport/client.js';
import { type ScriptedServer, startScriptedServer } from '../support/scripted-server.js';
import { tlsFixtures } from '../support/tls-fixtures.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});
function usageOf(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}
const msg = (n: number) => ({
  from: 's@example.test',
  to: [`r${n}@example.test`],
  message: `Subject: ${n}\r\n\r\nbody\r\n`,
});

describe('a pool copies the nested options (auth, tls, timeouts) when it is created', () => {
  it('changing options.auth.pass after createPool changes the credentials later connections use', async () => {
    const fixtures = await tlsFixtures();
    const server: ScriptedServer = await startScriptedServer({
      tls: fixtures.server,
      credentials: { user: 'user', pass: 'right' },
    });
    cleanup.push(() => server.close());
    const options = {
      host: 'localhost',
      address: '127.0.0.1',
      port: server.port,
      tls: { ca: fixtures.ca.cert },
      auth: { user: 'user', pass: 'right' },
      maxConnections: 1,
      maxMessagesPerConnection: 1,
      retry: false as const,
    };
    const pool = createPool(options);
    cleanup.push(() => pool.close({ deadlineMs: 500 }));
    await pool.send(msg(1));
    (options.auth as { pass: string }).pass = 'wrong'; // caller reuses/mutates its config object
    // README: "A pool's credentials cannot change"; createClient copies its settings at creation.
    await expect(pool.send(msg(2))).resolves.toMatchObject({ accepted: ['r2@example.test'] });
  });

  it('changing options.timeouts after createPool turns later sends into usage errors', async () => {
    const fixtures = await tlsFixtures();
    const server = await startScriptedServer({ tls: fixtures.server });
    cleanup.push(() => server.close());
    const timeouts = { command: 10_000 };
    const pool = createPool({
      host: 'localhost',
      address: '127.0.0.1',
      port: server.port,
      tls: { ca: fixtures.ca.cert },
      timeouts,
      maxConnections: 1,
      maxMessagesPerConnection: 1,
      retry: false,
    });
    cleanup.push(() => pool.close({ deadlineMs: 500 }));
    await pool.send(msg(1));
    timeouts.command = -1;
    await expect(pool.send(msg(2))).resolves.toMatchObject({ accepted: ['r2@example.test'] });
  });
});

describe('pool.close({ deadlineMs }) beyond what a timer holds', () => {
  it('a deadline of 2^31 ms (~25 days) does not fail a queued send 50 ms later', async () => {
    let release!: () => void;
    const events: string[] = [];
    const pool: Pool = createPool({
      host: 'h.test',
      maxConnections: 1,
      onEvent: (e) => events.push(e.type),
      createClient: () => ({
        send: () =>
          new Promise((resolve) => {
            release = () =>
              resolve({ accepted: ['r@example.test'], rejected: [], reply: { code: 250, lines: ['ok'] } });
          }),
        close: async () => {},
      }),
    });
    const first = pool.send(msg(1));
    const queued = pool.send(msg(2)).then(
      () => 'delivered',
      (e: { code: string }) => e.code,
    );
    await new Promise((r) => setTimeout(r, 10));
    const closed = pool.close({ deadlineMs: 2 ** 31 });
    await new Promise((r) => setTimeout(r, 50));
    expect(events).not.toContain('close-deadline');
    release();
    await first.catch(() => {});
    await new Promise((r) => setTimeout(r, 10));
    release();
    expect(await queued).toBe('delivered');
    await closed;
  });
});

describe('timeouts: shape and names', () => {
  it.each([
    [{ comand: 100 }, 'timeouts.comand'],
    [{ dataEnd: 100 }, 'timeouts.dataEnd'],
    [5, 'timeouts'],
    [null, 'timeouts'],
    ['30000', 'timeouts'],
  ])('timeouts %j is refused naming %s', (timeouts, field) => {
    const error = usageOf(() => createClient({ host: 'h.test', timeouts: timeouts as never }));
    expect(error).toBeInstanceOf(SmtpUsageError);
    expect((error as SmtpUsageError).field).toBe(field);
  });
});

describe('rateLimit: unknown keys', () => {
  it('a misspelt burst is refused', () => {
    const error = usageOf(() =>
      createPool({ host: 'h.test', rateLimit: { perSecond: 10, brust: 2 } as never }),
    );
    expect(error).toBeInstanceOf(SmtpUsageError);
    expect((error as SmtpUsageError).field).toBe('rateLimit.brust');
  });
});

describe('createPool(null/undefined)', () => {
  it.each([[null], [undefined], ['x']])('createPool(%j) is SmtpUsageError', (options) => {
    const error = usageOf(() => createPool(options as never));
    expect(error).toBeInstanceOf(SmtpUsageError);
  });
});

describe('pool.close() options', () => {
  it.each([
    ['null', null],
    ['a string deadline', { deadlineMs: '100' }],
    ['an unknown key', { deadline: 100 }],
    ['deadlineMs null', { deadlineMs: null }],
  ])('close(%s) rejects with SmtpUsageError (and does not throw synchronously)', async (_label, options) => {
    const pool = createPool({
      host: 'h.test',
      createClient: () => ({ send: async () => ({}) as never, close: async () => {} }),
    });
    let result: unknown;
    try {
      result = await pool.close(options as never).then(
        () => 'resolved',
        (e: unknown) => e,
      );
    } catch (e) {
      result = `sync throw: ${(e as Error).constructor.name}`;
    }
    expect(result).toBeInstanceOf(SmtpUsageError);
  });
});
