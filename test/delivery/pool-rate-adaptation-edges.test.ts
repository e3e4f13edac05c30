/**
 * The pool's adaptation to load (pool-adaptation.ts, concurrency-limit.ts): the rateLimit burst is
 * honoured; rate-changed is reported only when the rate changes; a limit learnt from a 454 counts
 * only the tokens of the last second (at least 1/s, also after a transaction longer than a second);
 * and connections come back one per recovery period, not one per success once a period has passed.
 */
import { describe, expect, it } from 'vitest';
import { ConcurrencyLimit } from '../../src/delivery/concurrency-limit.js';
import { ManualClock } from '../support/manual-clock.js';
import { fail, message, ofType, ok, replyError, SES_HOST, setup, track } from './pool-fakes.js';

describe('rateLimit option', () => {
  it('burst: that many sends start at once, the next one after a token comes', async () => {
    const { pool, clock } = setup(() => ok, { maxConnections: 4, rateLimit: { perSecond: 1, burst: 3 } });
    const sends = [1, 2, 3, 4].map((n) => pool.send(message(n)));
    await clock.advanceAsync(5_000);
    const results = await Promise.all(sends);
    expect(results.map((r) => r.attempts[0]?.startedAt)).toEqual([0, 0, 0, 1_000]);
  });

  it('sends that succeed at the configured rate report no rate-changed', async () => {
    const { pool, clock, events } = setup(() => ok, { rateLimit: { perSecond: 10 } });
    const sends = [1, 2, 3].map((n) => pool.send(message(n)));
    await clock.advanceAsync(1_000);
    await Promise.all(sends);
    expect(ofType(events, 'rate-changed')).toEqual([]);
  });
});

describe('a limit learnt from a 454 without a configured rateLimit', () => {
  it('counts only the last second: after a transaction longer than that it is the 1/s floor, halved', async () => {
    const MAX_RATE = replyError(454, 'Throttling failure: Maximum sending rate exceeded.', 'data-end');
    const { pool, clock, events } = setup(
      (call) =>
        call.index < 10
          ? ok
          : call.index === 10
            ? new Promise((resolve) => clock.setTimeout(() => resolve(fail(MAX_RATE)), 2_000))
            : ok,
      { host: SES_HOST, maxConnections: 1 },
    );
    const quick = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((n) => pool.send(message(n)));
    const slow = track(pool.send(message(11)));
    await clock.advanceAsync(2_000);
    await Promise.all(quick);
    // Eleven tokens were taken at t=0, none in the second before the 454 at t=2000.
    expect(ofType(events, 'rate-changed')).toMatchObject([
      { reason: 'throttled', previous: 1, ratePerSecond: 0.5 },
    ]);
    await clock.advanceAsync(10_000);
    expect(slow.settled).toMatchObject([{ ok: true }]);
  });
});

describe('concurrency recovery', () => {
  it('one connection back per recovery period of successes, not one per success after it', () => {
    const clock = new ManualClock();
    const limit = new ConcurrencyLimit(5, 30_000, clock);
    expect(limit.reduce(2)).toEqual({ previous: 5, current: 1 });
    clock.advance(30_000);
    expect(limit.onSuccess()).toEqual({ previous: 1, current: 2 });
    expect(limit.onSuccess()).toBeUndefined();
    clock.advance(29_999);
    expect(limit.onSuccess()).toBeUndefined();
    clock.advance(1);
    expect(limit.onSuccess()).toEqual({ previous: 2, current: 3 });
    expect(limit.current).toBe(3);
  });
});
