/**
 * The pool's `retry` option is checked and completed from the provider's default before any send:
 * no 0 ms hot loop from a partial object, no TypeError from `true`, no negative or NaN waits.
 */
import { fc, test as prop } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { resolvePoolOptions } from '../../src/delivery/pool-options.js';
import {
  DEFAULT_RETRY_DEADLINE_MS,
  decideRetry,
  GENERIC_RETRY_BACKOFF,
  type RetryOption,
  SES_RETRY_SCHEDULE,
} from '../../src/delivery/retry-policy.js';
import { ErrorCodes } from '../../src/errors/codes.js';
import { SmtpUsageError } from '../../src/errors/smtp-error.js';
import { SES_HOST } from './pool-fakes.js';

const retryOf = (retry: unknown, host = 'mail.example.test') =>
  resolvePoolOptions({ host, retry: retry as RetryOption }).settings.retry;

function fieldOf(retry: unknown): string | undefined {
  try {
    retryOf(retry);
  } catch (error) {
    if (error instanceof SmtpUsageError && error.code === ErrorCodes.INVALID_ARGUMENT) return error.field;
    throw error;
  }
  return undefined;
}

const failure = { outcome: 'not-sent', retryable: true, code: 'SMTP_TRANSIENT', action: 'retry' } as const;

describe('partial retry objects are completed from the provider default', () => {
  it.each([
    [{}, {}],
    [{ maxAttempts: 5 }, { maxAttempts: 5 }],
    [{ deadlineMs: 60_000 }, { deadlineMs: 60_000 }],
  ])('generic host: %j is the generic back-off with those limits', (given, limits) => {
    expect(retryOf(given)).toEqual({ ...GENERIC_RETRY_BACKOFF, ...limits });
  });

  it('SES host: { maxAttempts: 5 } is the SES schedule, cycled, within an hour, 5 attempts', () => {
    expect(retryOf({ maxAttempts: 5 }, SES_HOST)).toEqual({ ...SES_RETRY_SCHEDULE, maxAttempts: 5 });
  });

  it('a back-off given in part takes the rest from the generic back-off', () => {
    expect(retryOf({ baseMs: 200 })).toEqual({ ...GENERIC_RETRY_BACKOFF, baseMs: 200 });
  });

  it('a schedule keeps its own flags and gets the default deadline', () => {
    expect(retryOf({ delaysMs: [10, 20], repeatLast: true })).toEqual({
      delaysMs: [10, 20],
      repeatLast: true,
      deadlineMs: DEFAULT_RETRY_DEADLINE_MS,
    });
  });

  it('{} no longer retries in 0 ms: the first waits follow the generic back-off', () => {
    const policy = retryOf({});
    const delays = [1, 2, 3].map((attempt) => {
      const d = decideRetry(policy, { attempt, elapsedMs: 0, error: failure }, () => 0.999);
      return d.retry ? d.delayMs : -1;
    });
    expect(delays).toEqual([999, 1998, 3996]);
  });

  it('false, a function and undefined pass through / default', () => {
    const fn = () => 5;
    expect(retryOf(false)).toBe(false);
    expect(retryOf(fn)).toBe(fn);
    expect(retryOf(undefined)).toBe(GENERIC_RETRY_BACKOFF);
    expect(retryOf(undefined, SES_HOST)).toBe(SES_RETRY_SCHEDULE);
  });
});

describe('bad retry options are usage errors naming the field', () => {
  it.each([
    [true, 'retry'],
    [5, 'retry'],
    [null, 'retry'],
    [[1000], 'retry'],
    ['fast', 'retry'],
    [{ delaysMs: [-5] }, 'retry.delaysMs'],
    [{ delaysMs: [Number.NaN] }, 'retry.delaysMs'],
    [{ delaysMs: [Number.POSITIVE_INFINITY] }, 'retry.delaysMs'],
    [{ delaysMs: [2 ** 31] }, 'retry.delaysMs'],
    [{ delaysMs: ['5'] }, 'retry.delaysMs'],
    [{ delaysMs: 5 }, 'retry.delaysMs'],
    [{ maxAttempts: 0 }, 'retry.maxAttempts'],
    [{ maxAttempts: 1.5 }, 'retry.maxAttempts'],
    [{ deadlineMs: -1 }, 'retry.deadlineMs'],
    [{ deadlineMs: Number.NaN }, 'retry.deadlineMs'],
    [{ baseMs: -1 }, 'retry.baseMs'],
    [{ factor: 0.5 }, 'retry.factor'],
    [{ capMs: Number.NaN }, 'retry.capMs'],
    [{ repeatLast: 'yes', delaysMs: [1] }, 'retry.repeatLast'],
    [{ delaysMs: [1], baseMs: 1 }, 'retry'],
    [{ delay: 5 }, 'retry.delay'],
  ])('%j → %s', (retry, field) => {
    expect(fieldOf(retry)).toBe(field);
  });

  it('Infinity is allowed as "no deadline" (compared, never armed as a timer)', () => {
    expect(retryOf({ deadlineMs: Number.POSITIVE_INFINITY })).toMatchObject({
      deadlineMs: Number.POSITIVE_INFINITY,
    });
  });
});

describe('decideRetry never yields a NaN, negative or overflowing wait', () => {
  const anyNumber = fc.oneof(
    fc.double(),
    fc.constantFrom(Number.NaN, -1, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 2 ** 40),
  );
  const policies = fc.oneof(
    fc.record({ delaysMs: fc.array(anyNumber, { minLength: 1 }), repeatLast: fc.boolean() }),
    fc.record({ baseMs: anyNumber, factor: anyNumber, capMs: anyNumber }),
    anyNumber.map((n) => () => n),
  );
  prop.prop([policies, fc.integer({ min: 1, max: 60 }), fc.double({ min: 0, max: 1, noNaN: true })], {
    numRuns: 500,
  })('every retry delay is a number in [0, 2^31−1]', (policy, attempt, r) => {
    const d = decideRetry(policy as RetryOption, { attempt, elapsedMs: 0, error: failure }, () => r);
    if (d.retry) {
      expect(Number.isNaN(d.delayMs)).toBe(false);
      expect(d.delayMs).toBeGreaterThanOrEqual(0);
      expect(d.delayMs).toBeLessThanOrEqual(2 ** 31 - 1);
    }
  });
});
