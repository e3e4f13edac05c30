/**
 * Node fires a timer at once when its delay is above 2^31−1 ms (about 24.8 days) or below 1 ms,
 * with a TimeoutOverflowWarning each time. A very slow send rate (rateLimit.perSecond 1e-9), or the
 * debt a request far larger than the bucket leaves, computes waits far beyond that: the limiter
 * must arm at most 2^31−1 ms and wait again, never re-arm a timer that fires every millisecond.
 */
import { describe, expect, it } from 'vitest';
import { createPool } from '../../src/delivery/pool.js';
import { RateLimiter } from '../../src/delivery/rate-limiter.js';
import { ErrorCodes } from '../../src/errors/codes.js';
import { ManualClock } from '../support/manual-clock.js';
import { FakeServer, message, ok, track } from './pool-fakes.js';

const MAX_TIMER_MS = 2_147_483_647;

/** A ManualClock that arms timers the way Node does: a delay out of [1, 2^31−1] becomes 1 ms. */
class NodeTimerClock extends ManualClock {
  readonly armed: number[] = [];
  override setTimeout(fn: () => void, ms: number): unknown {
    this.armed.push(ms);
    return super.setTimeout(fn, ms > MAX_TIMER_MS || !(ms >= 1) ? 1 : ms);
  }
}

describe('rate-limiter waits beyond the timer range', () => {
  it('a tiny rate arms the longest timer Node allows, and the waiter is not served early', () => {
    const clock = new NodeTimerClock();
    const rl = new RateLimiter({ ratePerSecond: 1e-9, clock });
    expect(rl.tryTake(1)).toBe(0);
    let granted = false;
    void rl.take(1).then(() => {
      granted = true;
    });
    clock.advance(10_000);
    expect(granted).toBe(false);
    expect(clock.armed.length).toBeGreaterThan(0);
    expect(Math.max(...clock.armed)).toBeLessThanOrEqual(MAX_TIMER_MS);
    // One timer, not one per millisecond.
    expect(clock.armed).toHaveLength(1);
  });

  it('the debt of a request far larger than the bucket is waited out in timer-sized steps', () => {
    const clock = new NodeTimerClock();
    const rl = new RateLimiter({ ratePerSecond: 1, burst: 1, clock });
    expect(rl.tryTake(5e6)).toBe(0); // granted from a full bucket: about 58 days of debt
    void rl.take(1);
    clock.advance(10_000);
    expect(clock.armed).toHaveLength(1);
    expect(clock.armed[0]).toBe(MAX_TIMER_MS);
    clock.advance(MAX_TIMER_MS); // the first timer fires: still in debt, so one more long wait
    expect(clock.armed).toHaveLength(2);
    expect(Math.max(...clock.armed)).toBeLessThanOrEqual(MAX_TIMER_MS);
    expect(rl.waiting).toBe(1);
  });

  it("a pool with rateLimit.perSecond 1e-9 keeps the second send waiting, on one timer, until it's aborted", async () => {
    const clock = new NodeTimerClock();
    const server = new FakeServer(() => ok);
    const pool = createPool({
      host: 'mail.example.test',
      clock,
      idleTimeoutMs: 0,
      rateLimit: { perSecond: 1e-9 },
      createClient: server.factory,
    });
    await Promise.all([pool.send(message(1)), clock.advanceAsync(0)]);
    const controller = new AbortController();
    const second = track(pool.send({ ...message(2), signal: controller.signal }));
    await clock.advanceAsync(200);
    expect(server.calls).toHaveLength(1);
    expect(second.settled).toEqual([]);
    expect(clock.armed.filter((ms) => ms > 1_000)).toEqual([MAX_TIMER_MS]);
    expect(clock.armed.length).toBeLessThan(5);
    controller.abort();
    await clock.advanceAsync(0);
    expect(second.settled).toMatchObject([{ ok: false, error: { code: ErrorCodes.ABORTED } }]);
  });
});
