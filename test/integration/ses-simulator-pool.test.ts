/**
 * The pool end to end against the local SES simulator (real sockets on 127.0.0.1, STARTTLS with
 * the simulator's CA, AUTH with its derived SES credentials): SES defaults (profile, SES-style
 * schedule shape) with tiny delays, and the simulator playing each SES limit of issue #4.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createPool, type Pool } from '../../src/delivery/pool.js';
import type { PoolEvent } from '../../src/delivery/pool-events.js';
import type { PoolSettings } from '../../src/delivery/pool-options.js';
import { SES_PROFILE } from '../../src/errors/classify.js';
import { ErrorCodes } from '../../src/errors/codes.js';
import type { SmtpError } from '../../src/errors/smtp-error.js';
import {
  type SesSimulator,
  type SesSimulatorOptions,
  startSesSimulator,
} from '../../src/ses/simulator/simulator.js';
import type { ClientOptions } from '../../src/transport/client-options.js';

const open: { pool: Pool; sim: SesSimulator }[] = [];
afterEach(async () => {
  for (const { pool, sim } of open.splice(0)) {
    await pool.close({ deadlineMs: 1_000 });
    await sim.close();
  }
});

async function sesPool(
  simulator: SesSimulatorOptions,
  settings: Partial<ClientOptions> & PoolSettings<ClientOptions> = {},
) {
  const sim = await startSesSimulator({ verifiedIdentities: ['example.com'], ...simulator });
  const user = sim.users[0];
  if (!user) throw new Error('simulator without users');
  const events: PoolEvent[] = [];
  const pool = createPool({
    host: '127.0.0.1',
    port: sim.starttlsPort,
    security: 'starttls',
    tls: { ca: sim.caPem },
    auth: { user: user.user, pass: user.pass },
    profile: SES_PROFILE,
    // SES's schedule shape (short, short, longer, long; cycled) scaled down to milliseconds.
    retry: { delaysMs: [5, 10, 30, 200], cycle: true, deadlineMs: 20_000 },
    onEvent: (event) => events.push(event),
    ...settings,
  });
  open.push({ pool, sim });
  return { pool, sim, events };
}

const message = (n: number, from = 'sender@example.com') => ({
  from,
  to: [`success+${n}@simulator.amazonses.com`],
  message: `From: ${from}\r\nSubject: message ${n}\r\n\r\nbody ${n}\r\n`,
});

/** Each accepted message n exactly once, and to its own recipient (no cross-talk). */
function expectEachOnce(sim: SesSimulator, count: number): void {
  const subjects = sim.messages.map((m) =>
    Number(/Subject: message (\d+)/.exec(Buffer.from(m.raw).toString())?.[1]),
  );
  expect([...subjects].sort((a, b) => a - b)).toEqual([...Array(count).keys()]);
  for (const [i, m] of sim.messages.entries())
    expect(m.to).toEqual([`success+${subjects[i]}@simulator.amazonses.com`]);
}

const errorOf = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: SmtpError) => error,
  );

describe('pool against the SES simulator', () => {
  it('454 maximum sending rate: the rate is lowered, all 60 messages go out once, retries counted as slow-down', async () => {
    const { pool, sim, events } = await sesPool(
      { maxSendRate: 25 },
      { maxConnections: 3, rateLimit: { perSecond: 100, burst: 10 } },
    );
    const results = await Promise.all([...Array(60).keys()].map((n) => pool.send(message(n))));
    expect(results).toHaveLength(60);
    expectEachOnce(sim, 60);
    expect(sim.stats.rejected['max-send-rate'] ?? 0).toBeGreaterThan(0);
    const stats = pool.stats();
    expect(stats.retriesByCause['slow-down']).toBeGreaterThan(0);
    expect(stats.retriesByCause['slow-down']).toBe(sim.stats.rejected['max-send-rate']);
    expect(events.some((e) => e.type === 'rate-changed' && e.reason === 'throttled')).toBe(true);
    expect(stats.delivered).toBe(60);
  }, 30_000);

  it('421 maximum message count per session: fresh connections, no error reaches the caller', async () => {
    const { pool, sim } = await sesPool({ maxMessagesPerSession: 4 }, { maxConnections: 2 });
    const results = await Promise.all([...Array(20).keys()].map((n) => pool.send(message(n))));
    expect(results.every((r) => r.accepted.length === 1)).toBe(true);
    expectEachOnce(sim, 20);
    expect(pool.stats().retriesByCause.reconnect).toBeGreaterThan(0);
    expect(sim.stats.connections).toBeGreaterThanOrEqual(5);
  }, 20_000);

  it('421 too many concurrent connections: concurrency drops to what SES admits; everything is delivered', async () => {
    const { pool, sim, events } = await sesPool({ maxConnections: 2 }, { maxConnections: 4 });
    const results = await Promise.all([...Array(24).keys()].map((n) => pool.send(message(n))));
    expect(results).toHaveLength(24);
    expectEachOnce(sim, 24);
    expect(pool.stats().concurrency).toBeLessThanOrEqual(2);
    expect(pool.stats().retriesByCause['reduce-connections']).toBeGreaterThan(0);
    expect(events.filter((e) => e.type === 'concurrency-changed').map((e) => e.type)).not.toHaveLength(0);
  }, 20_000);

  it('454 daily quota: the pool stops at once with DAILY_QUOTA_EXCEEDED, nothing more reaches SES', async () => {
    const { pool, sim } = await sesPool({ dailyQuota: 5 }, { maxConnections: 1 });
    const started = Date.now();
    const settled = await Promise.allSettled([...Array(12).keys()].map((n) => pool.send(message(n))));
    expect(settled.slice(0, 5).every((s) => s.status === 'fulfilled')).toBe(true);
    const codes = settled
      .slice(5)
      .map((s) => (s.status === 'rejected' ? (s.reason as SmtpError).code : 'ok'));
    expect(codes).toEqual(Array(7).fill(ErrorCodes.DAILY_QUOTA_EXCEEDED));
    expect(sim.stats.rejected['daily-quota']).toBe(1);
    expect((await errorOf(pool.send(message(99)))).code).toBe(ErrorCodes.DAILY_QUOTA_EXCEEDED);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(pool.stats().quotaStopped).toBe(true);
  }, 20_000);

  it('554 unverified sender in the sandbox: rejected once, never retried', async () => {
    const { pool, sim } = await sesPool({}, {});
    const error = await errorOf(pool.send(message(1, 'someone@unverified.test')));
    expect(error).toMatchObject({ outcome: 'rejected', reply: { code: 554 } });
    expect((error as SmtpError & { attempts: unknown[] }).attempts).toHaveLength(1);
    expect(sim.stats.rejected['not-verified']).toBe(1);
    expect(pool.stats().retriesByCause.retry).toBe(0);
  });

  it('535 wrong credentials: the first send fails, the queued ones fail fast without another AUTH', async () => {
    const { pool, sim } = await sesPool(
      {},
      { maxConnections: 1, auth: { user: 'AKIAWRONG', pass: 'wrong' } },
    );
    const errors = await Promise.all([0, 1, 2, 3].map((n) => errorOf(pool.send(message(n)))));
    expect(errors.map((e) => e.code)).toEqual(Array(4).fill(ErrorCodes.AUTH_FAILED));
    expect(sim.stats.connections).toBe(1);
    expect(pool.stats().credentialsRefused).toBe(true);
  });

  it('SES idle close (451 4.4.2 and a close) before the pool idle limit: the stale connection is replaced before use', async () => {
    const { pool, sim, events } = await sesPool(
      { idleTimeoutMs: 150 },
      { maxConnections: 1, idleTimeoutMs: 10_000 },
    );
    await pool.send(message(0));
    await new Promise((resolve) => setTimeout(resolve, 500));
    const result = await pool.send(message(1));
    expect(result.attempts.map((a) => [a.connectionId, a.error])).toEqual([['c2', undefined]]);
    expect(events.filter((e) => e.type === 'connection-recycled')).toMatchObject([
      { connectionId: 'c1', reason: 'stale' },
    ]);
    expectEachOnce(sim, 2);
  });

  it('200 concurrent sends on 2 connections: each SES message carries its own recipient', async () => {
    const { pool, sim } = await sesPool({}, { maxConnections: 2 });
    const results = await Promise.all([...Array(200).keys()].map((n) => pool.send(message(n))));
    expect(results.map((r) => r.accepted)).toEqual(
      [...Array(200).keys()].map((n) => [`success+${n}@simulator.amazonses.com`]),
    );
    expectEachOnce(sim, 200);
    expect(new Set(results.map((r) => r.messageId)).size).toBe(200);
    expect(sim.stats.connections).toBeLessThanOrEqual(2);
  }, 30_000);
});
