/**
 * RateLimiter details the bucket properties do not reach: what tryTake() reports (0 only when it
 * took; the wait behind a queued request larger than the bucket), the bounds of adaptation (never
 * above the configured rate, a throttle keeps nothing earned before it, decreaseFactor below 1),
 * and a clock that steps back (a Clock that is not monotonic) taking no tokens away.
 */
import { describe, expect, it } from 'vitest';
import type { Clock } from '../../src/delivery/clock.js';
import { RateLimiter } from '../../src/delivery/rate-limiter.js';
import { ManualClock } from '../support/manual-clock.js';

describe('what tryTake() reports', () => {
  it('0 only when it took: at a very high rate a wait under a microsecond is still reported as 1 ms', () => {
    const rl = new RateLimiter({ ratePerSecond: 1e10, burst: 1, clock: new ManualClock() });
    expect(rl.tryTake(1)).toBe(0);
    expect(rl.tryTake(1)).toBe(1);
    expect(rl.tokens).toBe(0);
  });

  it('the wait behind a queued request larger than the bucket includes the debt it leaves', () => {
    const rl = new RateLimiter({ ratePerSecond: 1, burst: 2, clock: new ManualClock() });
    expect(rl.tryTake(2)).toBe(0);
    void rl.take(5); // needs a full bucket (2 s), then leaves 3 tokens of debt
    // 2 s for the bucket, 4 s more to pay the debt and earn one token.
    expect(rl.tryTake(1)).toBe(6_000);
  });
});

describe('adaptation bounds', () => {
  it('recovery stops at the configured rate even when a step would pass it', () => {
    const rl = new RateLimiter({ ratePerSecond: 10, increaseStep: 3, clock: new ManualClock() });
    rl.onThrottled();
    expect(rl.currentRate).toBe(5);
    rl.onSuccess();
    expect(rl.currentRate).toBe(8);
    rl.onSuccess();
    expect(rl.currentRate).toBe(10);
  });

  it('after setRate() below the throttle floor, a throttle never raises the rate above the one set', () => {
    const rl = new RateLimiter({ ratePerSecond: 16, clock: new ManualClock() }); // floor 1
    rl.setRate(0.5);
    rl.onThrottled();
    expect(rl.currentRate).toBeLessThanOrEqual(0.5);
  });

  it('a throttle keeps no tokens earned before it: the empty bucket refills at the lowered rate only', () => {
    const clock = new ManualClock();
    const rl = new RateLimiter({ ratePerSecond: 10, burst: 1, clock });
    expect(rl.tryTake(1)).toBe(0);
    clock.advance(50); // half a token earned at 10/s
    rl.onThrottled(); // 5/s, bucket emptied
    expect(rl.tokens).toBe(0);
    expect(rl.tryTake(1)).toBe(200);
  });

  it('decreaseFactor 1 (a throttle that never slows down) is refused', () => {
    expect(() => new RateLimiter({ ratePerSecond: 1, decreaseFactor: 1 })).toThrow(/decreaseFactor/);
  });
});

describe('a clock that steps back', () => {
  it('takes no tokens away; refill resumes from the new reading', () => {
    let now = 10_000;
    const clock: Clock = { now: () => now, setTimeout: () => undefined, clearTimeout: () => undefined };
    const rl = new RateLimiter({ ratePerSecond: 1, burst: 5, clock });
    expect(rl.tryTake(5)).toBe(0);
    now = 0;
    expect(rl.tokens).toBe(0);
    now = 1_000;
    expect(rl.tokens).toBe(1);
  });
});

describe('a clock that stands still', () => {
  it('a waiter a few millionths of a token short is never scheduled at 0 ms (which would spin: nothing is earned)', () => {
    const clock = new ManualClock(0);
    const limiter = new RateLimiter({ ratePerSecond: 10_000, clock });
    expect(limiter.tryTake(10_000)).toBe(0);
    void limiter.take(1);
    clock.advance(0.0999995); // 0.999995 tokens: short by more than the grant's tolerance
    limiter.setRate(10_000); // reschedules the head
    let fired = 0;
    const setTimer = clock.setTimeout.bind(clock);
    clock.setTimeout = (fn, ms) =>
      setTimer(() => {
        if (++fired > 100) throw new Error(`spinning: ${fired} timers fired at t=${clock.now()}`);
        fn();
      }, ms);
    clock.advance(0);
    expect(fired).toBeLessThan(10);
  });
});
