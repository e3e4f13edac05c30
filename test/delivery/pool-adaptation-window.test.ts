/**
 * The send rate the pool observes while it has no limit (pool-adaptation.ts): on a 454 "Maximum
 * sending rate exceeded" it learns half the tokens taken in the last second. The window is kept in
 * arrays compacted now and then (not shifted per send): the count stays exact across compactions.
 */
import { describe, expect, it } from 'vitest';
import { PoolAdaptation } from '../../src/delivery/pool-adaptation.js';
import type { PoolEvent } from '../../src/delivery/pool-events.js';
import type { ResolvedPoolSettings } from '../../src/delivery/pool-options.js';
import { ManualClock } from '../support/manual-clock.js';

function adaptation() {
  const clock = new ManualClock(0);
  const events: PoolEvent[] = [];
  const settings = {
    rateLimit: undefined,
    clock,
    maxConnections: 5,
    concurrencyRecoveryMs: 30_000,
  } as unknown as ResolvedPoolSettings;
  return { clock, events, adapt: new PoolAdaptation(settings, (event) => events.push(event)) };
}

const signal = new AbortController().signal;

describe('the observed send rate', () => {
  it('after thousands of sends (several compactions): half the tokens of exactly the last second', async () => {
    const { clock, events, adapt } = adaptation();
    // One send of 1 token per ms for 5 s (t = 0 … 4999), then one of 3 tokens at t = 5000: the window
    // (4000, 5000] holds the 999 sends after t = 4000 and the last one, 1,002 tokens.
    for (let t = 0; t < 5_000; t++) {
      await adapt.take(1, signal);
      clock.advance(1);
    }
    await adapt.take(3, signal);
    adapt.throttled();
    expect(events).toEqual([
      { type: 'rate-changed', ratePerSecond: 501, previous: 1_002, reason: 'throttled' },
    ]);
  });

  it('a pause longer than the window leaves only what came after it', async () => {
    const { clock, events, adapt } = adaptation();
    for (let n = 0; n < 2_000; n++) await adapt.take(2, signal);
    clock.advance(1_000); // all of those leave the window
    for (let n = 0; n < 10; n++) await adapt.take(1, signal);
    adapt.throttled();
    expect(events).toEqual([{ type: 'rate-changed', ratePerSecond: 5, previous: 10, reason: 'throttled' }]);
  });
});
