import { afterEach, describe, expect, it } from 'vitest';
import { attemptsOf } from '../../src/delivery/attempt-history.js';
import { CLOSE_SETTLE_GRACE_MS, createPool, type Pool } from '../../src/delivery/pool.js';
import type { PoolEvent } from '../../src/delivery/pool-events.js';
import type { PoolSettings } from '../../src/delivery/pool-options.js';
import { SES_PROFILE } from '../../src/errors/classify.js';
import { ErrorCodes } from '../../src/errors/codes.js';
import type { ClientOptions } from '../../src/transport/client-options.js';
import {
  type ScriptedConnection,
  type ScriptedServer,
  type ScriptedServerOptions,
  startScriptedServer,
} from '../support/scripted-server.js';
import { tlsFixtures } from '../support/tls-fixtures.js';

const open: { pool: Pool; server: ScriptedServer }[] = [];

afterEach(async () => {
  for (const { pool, server } of open.splice(0)) {
    await pool.close({ deadlineMs: 1_000 });
    await server.close();
  }
});

/** A pool of real clients (STARTTLS with the test CA) aimed at a scripted server on 127.0.0.1. */
async function poolHarness(
  serverOptions: ScriptedServerOptions = {},
  poolOptions: Partial<ClientOptions> & PoolSettings<ClientOptions> = {},
) {
  const fixtures = await tlsFixtures();
  const server = await startScriptedServer({ tls: fixtures.server, ...serverOptions });
  const events: PoolEvent[] = [];
  const pool = createPool({
    host: 'localhost',
    address: '127.0.0.1',
    port: server.port,
    tls: { ca: fixtures.ca.cert },
    // SES replies from the scripted server are classified as SES's; waits kept short for the test.
    profile: SES_PROFILE,
    retry: { delaysMs: [30, 60, 90], maxAttempts: 4 },
    onEvent: (event) => events.push(event),
    ...poolOptions,
  });
  open.push({ pool, server });
  return { pool, server, events };
}

function message(n: number, to: readonly string[] = [`r${n}@example.test`]) {
  return { from: 'sender@example.test', to, message: `Subject: message ${n}\r\n\r\nbody ${n}\r\n` };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('pool against the scripted server', () => {
  it('recycles a connection after maxMessagesPerConnection messages, with QUIT', async () => {
    const { pool, server, events } = await poolHarness(
      {},
      { maxConnections: 1, maxMessagesPerConnection: 3 },
    );
    for (let n = 0; n < 7; n++) await pool.send(message(n));
    await server.waitFor(() => server.connections.slice(0, 2).every((c) => c.isClosed));
    expect(server.connections).toHaveLength(3);
    expect([0, 1, 2].map((id) => server.transactions.filter((t) => t.connection === id).length)).toEqual([
      3, 3, 1,
    ]);
    for (const connection of server.connections.slice(0, 2)) {
      expect(connection.commands.at(-1)?.verb).toBe('QUIT');
    }
    expect(events.filter((e) => e.type === 'connection-recycled')).toHaveLength(2);
  });

  it('closes an idle connection (QUIT) and opens a new one for the next send', async () => {
    const { pool, server } = await poolHarness({}, { idleTimeoutMs: 80 });
    await pool.send(message(1));
    await server.waitFor(() => server.connections[0]?.isClosed === true);
    expect(server.connections[0]?.commands.at(-1)?.verb).toBe('QUIT');
    await pool.send(message(2));
    expect(server.connections).toHaveLength(2);
  });

  it('idleTimeoutMs above the client default (5 s) keeps the connection: the pool, not the client, ends idle ones', async () => {
    const { pool, server } = await poolHarness({}, { maxConnections: 1, idleTimeoutMs: 60_000 });
    await pool.send(message(1));
    await sleep(5_300);
    expect(server.connections[0]?.isClosed).toBe(false);
    await pool.send(message(2));
    expect(server.connections).toHaveLength(1);
  }, 15_000);

  it('a connection the server dropped while idle is replaced without an error', async () => {
    const { pool, server } = await poolHarness({}, { maxConnections: 1 });
    await pool.send(message(1));
    server.connections[0]?.destroy();
    await server.waitFor(() => server.connections[0]?.isClosed === true);
    const result = await pool.send(message(2));
    expect(result.accepted).toEqual(['r2@example.test']);
    expect(server.transactions).toHaveLength(2);
    expect(server.connections).toHaveLength(2);
  });

  it('SES session cap (421 at MAIL) is absorbed: the message goes at once on a fresh connection', async () => {
    const { pool, server, events } = await poolHarness(
      { maxMessagesPerConnection: 2 },
      { maxConnections: 1 },
    );
    const results = [];
    for (let n = 0; n < 5; n++) results.push(await pool.send(message(n)));
    expect(results.map((r) => r.accepted[0])).toEqual([0, 1, 2, 3, 4].map((n) => `r${n}@example.test`));
    expect(server.transactions).toHaveLength(5);
    expect(server.connections).toHaveLength(3);
    const retries = events.filter((e) => e.type === 'retry-scheduled');
    expect(retries.map((e) => [e.cause, e.delayMs])).toEqual([
      ['reconnect', 0],
      ['reconnect', 0],
    ]);
  });

  it('421 too many concurrent connections lowers concurrency; every message is delivered', async () => {
    const limit = 2;
    const admitted = new Set<ScriptedConnection>();
    let peak = 0;
    const { pool, server, events } = await poolHarness(
      {
        overrides: {
          GREETING: (_line, connection) => {
            for (const c of admitted) if (c.isClosed) admitted.delete(c);
            if (admitted.size >= limit) return '421 Too many concurrent SMTP connections';
            admitted.add(connection);
            peak = Math.max(peak, admitted.size);
            return undefined;
          },
        },
      },
      { maxConnections: 4 },
    );
    const results = await Promise.all([...Array(12).keys()].map((n) => pool.send(message(n))));
    expect(results).toHaveLength(12);
    expect(server.transactions).toHaveLength(12);
    expect(peak).toBeLessThanOrEqual(limit);
    expect(pool.stats().concurrency).toBeLessThanOrEqual(limit);
    const changes = events.filter((e) => e.type === 'concurrency-changed');
    expect(changes.map((e) => e.reason)).toContain('too-many-connections');
    // Once lowered, the pool stops knocking: refusals stay bounded by the connections first opened.
    expect(
      server.connections.filter((c) => c.commands.length === 0 || c.commands[0]?.verb !== 'EHLO').length,
    ).toBeLessThanOrEqual(2);
  });

  it('454 maximum sending rate: the limiter slows down and the retry succeeds', async () => {
    let throttled = false;
    const { pool, server, events } = await poolHarness(
      {
        overrides: {
          DOT: () => {
            if (throttled) return undefined;
            throttled = true;
            return '454 Throttling failure: Maximum sending rate exceeded.';
          },
        },
      },
      { rateLimit: { perSecond: 100 } },
    );
    const result = await pool.send(message(1));
    expect(result.attempts.map((a) => a.error?.code)).toEqual([ErrorCodes.THROTTLED, undefined]);
    expect(server.transactions.map((t) => t.reply?.slice(0, 3))).toEqual(['454', '250']);
    expect(events.find((e) => e.type === 'rate-changed')).toMatchObject({ previous: 100, ratePerSecond: 50 });
    expect(pool.stats().retriesByCause['slow-down']).toBe(1);
  });

  it('454 daily quota stops the pool: queued and new sends fail fast without reaching the server', async () => {
    const { pool, server } = await poolHarness(
      { overrides: { DOT: '454 Throttling failure: Daily message quota exceeded.' } },
      { maxConnections: 1 },
    );
    const sends = [1, 2, 3].map((n) => pool.send(message(n)).catch((error: unknown) => error));
    const errors = await Promise.all(sends);
    expect(errors.map((e) => (e as { code?: string }).code)).toEqual([
      ErrorCodes.DAILY_QUOTA_EXCEEDED,
      ErrorCodes.DAILY_QUOTA_EXCEEDED,
      ErrorCodes.DAILY_QUOTA_EXCEEDED,
    ]);
    await expect(pool.send(message(4))).rejects.toMatchObject({ code: ErrorCodes.DAILY_QUOTA_EXCEEDED });
    expect(server.transactions).toHaveLength(1);
    expect(attemptsOf(errors[0])).toHaveLength(1);
    server.override('DOT', undefined);
    pool.resume();
    await expect(pool.send(message(5))).resolves.toMatchObject({ accepted: ['r5@example.test'] });
  });

  it('200 concurrent sends over 2 connections: every transaction carries exactly one message', async () => {
    const { pool, server } = await poolHarness({}, { maxConnections: 2 });
    const recipients = (n: number) => [`m${n}a@example.test`, `m${n}b@example.test`];
    const results = await Promise.all(
      [...Array(200).keys()].map((n) => pool.send(message(n, recipients(n)))),
    );
    expect(results.map((r) => r.accepted)).toEqual([...Array(200).keys()].map(recipients));
    expect(server.transactions).toHaveLength(200);
    expect(server.connections.length).toBeLessThanOrEqual(4);
    for (const transaction of server.transactions) {
      const n = Number(/^Subject: message (\d+)/.exec(transaction.content.toString())?.[1]);
      expect(transaction.to).toEqual(recipients(n));
    }
    const ids = new Set(results.map((r) => r.messageId));
    expect(ids.size).toBe(200);
  });

  it('close() drains queued sends, then QUITs every connection', async () => {
    const { pool, server } = await poolHarness({}, { maxConnections: 2 });
    const sends = [1, 2, 3, 4, 5].map((n) => pool.send(message(n)));
    await pool.close();
    await Promise.all(sends);
    expect(server.transactions).toHaveLength(5);
    await sleep(20);
    expect(server.connections.every((c) => c.isClosed && c.commands.at(-1)?.verb === 'QUIT')).toBe(true);
    await expect(pool.send(message(6))).rejects.toMatchObject({ code: ErrorCodes.CLIENT_CLOSED });
  });
  it('close deadline: a transaction stalled at MAIL is not-sent, one stalled after its dot unknown (real clients)', async () => {
    const { pool, server, events } = await poolHarness(
      {
        // One command at a time, so a silent MAIL leaves the session waiting at MAIL.
        capabilitiesAfterTls: ['8BITMIME', 'ENHANCEDSTATUSCODES'],
        overrides: {
          MAIL: (line) => (line.includes('stall@') ? null : undefined),
          DOT: null,
        },
      },
      { maxConnections: 2 },
    );
    const atMail = pool.send({ ...message(1), from: 'stall@example.test' }).catch((error: unknown) => error);
    const afterDot = pool.send(message(2)).catch((error: unknown) => error);
    await server.waitFor(
      () =>
        server.transactions.length === 1 &&
        server.connections.some((c) => c.commands.some((cmd) => cmd.line.includes('stall@'))),
    );
    const started = Date.now();
    await pool.close({ deadlineMs: 0 });
    // Both clients answered their abort at once: nobody waited for the grace.
    expect(Date.now() - started).toBeLessThan(CLOSE_SETTLE_GRACE_MS);
    expect(await atMail).toMatchObject({
      code: ErrorCodes.CLIENT_CLOSED,
      outcome: 'not-sent',
      phase: 'mail',
    });
    expect(await afterDot).toMatchObject({ code: ErrorCodes.CLIENT_CLOSED, outcome: 'unknown' });
    expect(events.find((e) => e.type === 'close-deadline')).toEqual({
      type: 'close-deadline',
      sending: 2,
      notSent: 0,
    });
  });
});
