import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RETRY_DEADLINE_MS,
  decideRetry,
  GENERIC_RETRY_BACKOFF,
  type RetryAction,
  type RetryContext,
  type RetryErrorInfo,
  type RetryOption,
  SES_RETRY_SCHEDULE,
} from '../../src/delivery/retry-policy.js';

const S = 1000;
const MIN = 60 * S;
const transient: RetryErrorInfo = { outcome: 'not-sent', retryable: true, code: 'SMTP_TRANSIENT_FAILURE' };

function ctx(attempt: number, elapsedMs = 0, error: Partial<RetryErrorInfo> = {}): RetryContext {
  return { attempt, elapsedMs, error: { ...transient, ...error } };
}

/** Runs a policy from the first failure onward, summing waits into elapsedMs, and lists the waits. */
function delays(policy: RetryOption, count: number, random: () => number = () => 0.5): number[] {
  const waits: number[] = [];
  let elapsed = 0;
  for (let attempt = 1; waits.length < count; attempt++) {
    const d = decideRetry(policy, ctx(attempt, elapsed), random);
    if (!d.retry) break;
    waits.push(d.delayMs);
    elapsed += d.delayMs;
  }
  return waits;
}

describe('SES schedule', () => {
  it('"repeat the process" read as a cycle: 5 s, 10 s, 30 s, 20 min, then 5 s, 10 s, 30 s, 20 min again', () => {
    expect(delays(SES_RETRY_SCHEDULE, 8)).toEqual([
      5 * S,
      10 * S,
      30 * S,
      20 * MIN,
      5 * S,
      10 * S,
      30 * S,
      20 * MIN,
    ]);
  });

  it.each([
    [1, 5 * S],
    [2, 10 * S],
    [3, 30 * S],
    [4, 20 * MIN],
    [5, 5 * S],
    [6, 10 * S],
    [7, 30 * S],
    [8, 20 * MIN],
  ])('after failed attempt %i waits %i ms', (attempt, expected) => {
    expect(decideRetry(SES_RETRY_SCHEDULE, ctx(attempt))).toEqual({
      retry: true,
      delayMs: expected,
      countsAsAttempt: true,
      mayDuplicate: false,
    });
  });

  it('stops at the one-hour default deadline: the third 20-minute wait would cross it', () => {
    const waits = delays(SES_RETRY_SCHEDULE, 100);
    // Two full cycles (41 min 30 s) + 5/10/30 s = 42 min 15 s; another 20 min would pass 60 min.
    expect(waits).toHaveLength(11);
    const total = waits.reduce((a, b) => a + b, 0);
    expect(total).toBe(2 * (45 * S + 20 * MIN) + 45 * S);
    expect(decideRetry(SES_RETRY_SCHEDULE, ctx(12, total))).toEqual({ retry: false, reason: 'deadline' });
    expect(SES_RETRY_SCHEDULE.deadlineMs).toBe(DEFAULT_RETRY_DEADLINE_MS);
  });

  it('a delay that ends exactly on the deadline is still allowed', () => {
    const policy = { ...SES_RETRY_SCHEDULE, deadlineMs: 5 * S };
    expect(decideRetry(policy, ctx(1, 0))).toMatchObject({ retry: true, delayMs: 5 * S });
    expect(decideRetry(policy, ctx(1, 1))).toEqual({ retry: false, reason: 'deadline' });
  });
});

describe('custom schedules', () => {
  it('stops after the list unless told to repeat', () => {
    expect(delays({ delaysMs: [1, 2, 3] }, 10)).toEqual([1, 2, 3]);
    expect(decideRetry({ delaysMs: [1, 2, 3] }, ctx(4))).toEqual({
      retry: false,
      reason: 'attempts-exhausted',
    });
    expect(delays({ delaysMs: [1, 2, 3], repeatLast: true }, 6)).toEqual([1, 2, 3, 3, 3, 3]);
    expect(delays({ delaysMs: [1, 2, 3], cycle: true }, 7)).toEqual([1, 2, 3, 1, 2, 3, 1]);
    expect(decideRetry({ delaysMs: [] }, ctx(1))).toEqual({ retry: false, reason: 'attempts-exhausted' });
  });

  it('maxAttempts counts the first attempt', () => {
    const policy = { delaysMs: [10], repeatLast: true, maxAttempts: 3 };
    expect(delays(policy, 10)).toEqual([10, 10]);
    expect(decideRetry(policy, ctx(3))).toEqual({ retry: false, reason: 'attempts-exhausted' });
    expect(decideRetry({ delaysMs: [10], maxAttempts: 1 }, ctx(1))).toMatchObject({ retry: false });
  });

  it('retry: false disables retries', () => {
    expect(decideRetry(false, ctx(1))).toEqual({ retry: false, reason: 'disabled' });
  });

  it('a policy function sees the context and decides the wait', () => {
    const seen: RetryContext[] = [];
    const policy = (c: RetryContext) => {
      seen.push(c);
      return c.attempt < 3 ? c.attempt * 100 : undefined;
    };
    expect(delays(policy, 10)).toEqual([100, 200]);
    expect(seen.map((c) => [c.attempt, c.elapsedMs])).toEqual([
      [1, 0],
      [2, 100],
      [3, 300],
    ]);
    expect(decideRetry(policy, ctx(3))).toEqual({ retry: false, reason: 'policy' });
    expect(decideRetry(() => -5, ctx(1))).toMatchObject({ retry: true, delayMs: 0 });
    expect(decideRetry(() => Number.NaN, ctx(1))).toEqual({ retry: false, reason: 'policy' });
  });
});

describe('generic exponential back-off with full jitter', () => {
  it('draws uniformly below 1 s × 2^(attempt−1), capped at 5 min', () => {
    expect(delays(GENERIC_RETRY_BACKOFF, 6, () => 0.5)).toEqual([500, 1000, 2000, 4000, 8000, 16000]);
    expect(delays(GENERIC_RETRY_BACKOFF, 3, () => 0)).toEqual([0, 0, 0]);
    expect(decideRetry(GENERIC_RETRY_BACKOFF, ctx(30), () => 0.999)).toMatchObject({ delayMs: 299_700 });
    expect(decideRetry(GENERIC_RETRY_BACKOFF, ctx(5000), () => 0.5)).toMatchObject({ delayMs: 150_000 });
  });

  test.prop(
    [fc.integer({ min: 1, max: 200 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true })],
    {
      numRuns: 300,
    },
  )('delay is within [0, min(cap, base·2^(n−1))]', (attempt, r) => {
    const d = decideRetry(GENERIC_RETRY_BACKOFF, ctx(attempt), { random: () => r });
    expect(d.retry).toBe(true);
    if (!d.retry) return;
    expect(d.delayMs).toBeGreaterThanOrEqual(0);
    expect(d.delayMs).toBeLessThanOrEqual(Math.min(5 * MIN, 1000 * 2 ** (attempt - 1)));
  });

  it('respects its deadline', () => {
    expect(decideRetry(GENERIC_RETRY_BACKOFF, ctx(3, DEFAULT_RETRY_DEADLINE_MS - 100), () => 0.5)).toEqual({
      retry: false,
      reason: 'deadline',
    });
  });
});

const action = fc.constantFrom<RetryAction | undefined>(
  undefined,
  'continue',
  'retry',
  'slow-down',
  'reduce-connections',
  'reconnect',
  'stop-sending',
  'fix-credentials',
  'reject',
);
const policyArb: fc.Arbitrary<RetryOption> = fc.oneof(
  fc.constant<RetryOption>(SES_RETRY_SCHEDULE),
  fc.constant<RetryOption>(GENERIC_RETRY_BACKOFF),
  fc.record({
    delaysMs: fc.array(fc.nat(100_000), { maxLength: 5 }),
    repeatLast: fc.boolean(),
    cycle: fc.boolean(),
  }),
  fc.nat(100_000).map((ms) => (() => ms) as RetryOption),
);
const contextArb = (outcome: fc.Arbitrary<RetryErrorInfo['outcome']>) =>
  fc.record({
    attempt: fc.integer({ min: 1, max: 50 }),
    elapsedMs: fc.nat(10 * MIN),
    reconnects: fc.nat(3),
    error: fc.record({ outcome, retryable: fc.boolean(), code: fc.constant('SMTP_X'), action }),
  });
const atLeastOnce = fc.boolean();

describe('safety gates hold for every policy', () => {
  test.prop([policyArb, contextArb(fc.constant('rejected')), atLeastOnce], { numRuns: 500 })(
    "5xx ('rejected') is never retried",
    (policy, context, alo) => {
      expect(decideRetry(policy, context, { atLeastOnce: alo, random: () => 0.5 }).retry).toBe(false);
    },
  );

  test.prop([policyArb, contextArb(fc.constant('unknown'))], { numRuns: 500 })(
    "'unknown' (lost after the final dot) is never retried without atLeastOnce",
    (policy, context) => {
      expect(decideRetry(policy, context, () => 0.5)).toEqual({ retry: false, reason: 'unknown-outcome' });
    },
  );

  test.prop([policyArb, contextArb(fc.constantFrom('not-sent', 'unknown'))], { numRuns: 300 })(
    'non-retryable errors are never retried',
    (policy, context) => {
      // 'unknown' is never `retryable` on an SmtpError; under at-least-once the loss itself is retried.
      const outcome = context.error.outcome === 'unknown' ? 'not-sent' : context.error.outcome;
      const c = { ...context, error: { ...context.error, outcome, retryable: false } };
      expect(decideRetry(policy, c, { atLeastOnce: true }).retry).toBe(false);
    },
  );

  it("'unknown' is retried under atLeastOnce and the decision says it may duplicate", () => {
    const d = decideRetry(SES_RETRY_SCHEDULE, ctx(1, 0, { outcome: 'unknown' }), { atLeastOnce: true });
    expect(d).toEqual({ retry: true, delayMs: 5 * S, countsAsAttempt: true, mayDuplicate: true });
    expect(decideRetry(SES_RETRY_SCHEDULE, ctx(1, 0, { outcome: 'unknown' }))).toEqual({
      retry: false,
      reason: 'unknown-outcome',
    });
  });
});

describe('actions from reply classification', () => {
  it("'reconnect' retries at once without using a schedule step, once per message", () => {
    const first = decideRetry(SES_RETRY_SCHEDULE, { ...ctx(1, 0, { action: 'reconnect' }), reconnects: 0 });
    expect(first).toEqual({ retry: true, delayMs: 0, countsAsAttempt: false, mayDuplicate: false });
    // The second reconnect for the same message is an ordinary transient failure on the schedule.
    const second = decideRetry(SES_RETRY_SCHEDULE, { ...ctx(1, 0, { action: 'reconnect' }), reconnects: 1 });
    expect(second).toEqual({ retry: true, delayMs: 5 * S, countsAsAttempt: true, mayDuplicate: false });
    const more = decideRetry(
      SES_RETRY_SCHEDULE,
      { ...ctx(1, 0, { action: 'reconnect' }), reconnects: 2 },
      { maxReconnects: 3 },
    );
    expect(more).toMatchObject({ delayMs: 0, countsAsAttempt: false });
    expect(decideRetry({ delaysMs: [], maxAttempts: 1 }, ctx(1, 0, { action: 'reconnect' }))).toMatchObject({
      retry: true,
      delayMs: 0,
    });
    expect(decideRetry(false, ctx(1, 0, { action: 'reconnect' }))).toEqual({
      retry: false,
      reason: 'disabled',
    });
    expect(decideRetry(SES_RETRY_SCHEDULE, ctx(1, 2 * 60 * MIN, { action: 'reconnect' }))).toEqual({
      retry: false,
      reason: 'deadline',
    });
  });

  it("'stop-sending' (daily quota) stops at once; 'slow-down' and 'reduce-connections' follow the schedule", () => {
    expect(decideRetry(SES_RETRY_SCHEDULE, ctx(1, 0, { action: 'stop-sending' }))).toEqual({
      retry: false,
      reason: 'stop-sending',
    });
    expect(decideRetry(SES_RETRY_SCHEDULE, ctx(2, 0, { action: 'slow-down' }))).toMatchObject({
      delayMs: 10 * S,
    });
    expect(decideRetry(SES_RETRY_SCHEDULE, ctx(3, 0, { action: 'reduce-connections' }))).toMatchObject({
      delayMs: 30 * S,
    });
  });
});
