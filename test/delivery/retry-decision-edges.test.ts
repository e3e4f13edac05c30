/**
 * The edges of decideRetry that the schedule tests do not reach: where a schedule ends, which flag
 * wins, what a policy function's Infinity means, the deadline's last instant for a free reconnect,
 * a back-off that stays inside its bounds whatever `random` returns, and credentials never retried.
 */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RETRY_DEADLINE_MS,
  decideRetry,
  GENERIC_RETRY_BACKOFF,
  type RetryContext,
  type RetryErrorInfo,
  SES_RETRY_SCHEDULE,
} from '../../src/delivery/retry-policy.js';

const transient: RetryErrorInfo = { outcome: 'not-sent', retryable: true, code: 'SMTP_TRANSIENT_FAILURE' };

function ctx(attempt: number, elapsedMs = 0, error: Partial<RetryErrorInfo> = {}): RetryContext {
  return { attempt, elapsedMs, error: { ...transient, ...error } };
}

describe('where a schedule ends', () => {
  it.each([
    ['cycle', { delaysMs: [], cycle: true }],
    ['repeatLast', { delaysMs: [], repeatLast: true }],
  ])('an empty list with %s has nothing to repeat: no retry (never a 0 ms loop)', (_flag, schedule) => {
    for (const attempt of [1, 2, 5]) {
      expect(decideRetry(schedule, ctx(attempt))).toEqual({ retry: false, reason: 'attempts-exhausted' });
    }
  });

  it('cycle wins over repeatLast: past the list the waits start over', () => {
    const schedule = { delaysMs: [100, 200], cycle: true, repeatLast: true };
    expect([1, 2, 3, 4, 5].map((attempt) => decideRetry(schedule, ctx(attempt)))).toMatchObject([
      { delayMs: 100 },
      { delayMs: 200 },
      { delayMs: 100 },
      { delayMs: 200 },
      { delayMs: 100 },
    ]);
  });
});

describe('policy functions', () => {
  it('a wait of Infinity is no retry (reason deadline), not the longest timer', () => {
    expect(decideRetry(() => Number.POSITIVE_INFINITY, ctx(1))).toEqual({ retry: false, reason: 'deadline' });
  });
});

describe('the deadline for a free reconnect', () => {
  it('a reconnect at exactly the deadline still goes (no attempt starts later than it); 1 ms after, none', () => {
    const at = (elapsedMs: number) =>
      decideRetry(SES_RETRY_SCHEDULE, { ...ctx(1, elapsedMs, { action: 'reconnect' }), reconnects: 0 });
    expect(at(DEFAULT_RETRY_DEADLINE_MS)).toEqual({
      retry: true,
      delayMs: 0,
      countsAsAttempt: false,
      mayDuplicate: false,
    });
    expect(at(DEFAULT_RETRY_DEADLINE_MS + 1)).toEqual({ retry: false, reason: 'deadline' });
  });
});

describe('back-off bounds', () => {
  it('a random() above 1 is taken as 1: the wait never exceeds the ceiling', () => {
    const { deadlineMs: _none, ...backoff } = GENERIC_RETRY_BACKOFF;
    expect(decideRetry(backoff, ctx(1), () => 1.5)).toMatchObject({ delayMs: 1_000 });
    expect(decideRetry(backoff, ctx(30), () => 7)).toMatchObject({ delayMs: GENERIC_RETRY_BACKOFF.capMs });
  });

  it('baseMs 0 waits 0 at every attempt, also where factor^attempt overflows to Infinity', () => {
    const backoff = { baseMs: 0, factor: 2, capMs: 60_000 };
    for (const attempt of [1, 10, 1_100, 5_000]) {
      expect(decideRetry(backoff, ctx(attempt), () => 0.99)).toMatchObject({ retry: true, delayMs: 0 });
    }
  });
});

describe('credentials', () => {
  it("'fix-credentials' is never retried, even from an error that says it is retryable", () => {
    const error = { action: 'fix-credentials', outcome: 'not-sent', retryable: true } as const;
    expect(decideRetry(SES_RETRY_SCHEDULE, ctx(1, 0, error))).toEqual({
      retry: false,
      reason: 'not-retryable',
    });
    expect(decideRetry(() => 5, ctx(1, 0, error))).toEqual({ retry: false, reason: 'not-retryable' });
  });
});
