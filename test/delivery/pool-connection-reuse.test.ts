/**
 * Which connection a send gets (connection-slot.ts): the most recently used idle one, by use and
 * not by creation order, so spare connections idle out; and one that has idled for idleTimeoutMs
 * (the instant its idle timer would close it) is replaced, also when that instant passed while
 * the send waited for send-rate tokens.
 */
import { describe, expect, it } from 'vitest';
import { message, ok, setup } from './pool-fakes.js';

describe('connection reuse', () => {
  it('takes the connection released last, even when it was opened first', async () => {
    const { pool, clock } = setup(
      (call) => (call.index === 0 ? new Promise((resolve) => clock.setTimeout(() => resolve(ok), 10)) : ok),
      { maxConnections: 2 },
    );
    const first = pool.send(message(1)); // c1, done at t=10
    const second = pool.send(message(2)); // c2, done at t=0
    await clock.advanceAsync(20);
    await Promise.all([first, second]);
    const third = pool.send(message(3));
    await clock.advanceAsync(0);
    expect((await third).attempts[0]?.connectionId).toBe('c1');
  });

  it('a connection idle for exactly idleTimeoutMs when the rate tokens come is replaced', async () => {
    const { pool, clock } = setup(() => ok, {
      maxConnections: 1,
      idleTimeoutMs: 1_000,
      rateLimit: { perSecond: 1, burst: 1 },
    });
    await Promise.all([pool.send(message(1)), clock.advanceAsync(0)]); // c1 idle from t=0
    const second = pool.send(message(2)); // takes c1, waits for a token until t=1000
    await clock.advanceAsync(1_000);
    const result = await second;
    expect(result.attempts[0]).toMatchObject({ connectionId: 'c2', startedAt: 1_000 });
  });

  it('maxConnectionAgeMs 0: a new connection for every message, none shared', async () => {
    const { pool, clock, server } = setup(
      () => new Promise((resolve) => clock.setTimeout(() => resolve(ok), 10)),
      { maxConnections: 1, maxConnectionAgeMs: 0 },
    );
    server.pipelining = true;
    const sends = [1, 2, 3, 4].map((n) => pool.send(message(n)));
    await clock.advanceAsync(100);
    const results = await Promise.all(sends);
    expect(results.map((r) => r.attempts.map((a) => a.connectionId))).toEqual([
      ['c1'],
      ['c2'],
      ['c3'],
      ['c4'],
    ]);
    expect(server.clients.map((c) => c.transactions)).toEqual([1, 1, 1, 1]);
  });
});
