/**
 * README: "A back-off takes missing baseMs/factor/capMs from the generic one" — also on an SES host,
 * whose default is the SES schedule: a back-off given there is a back-off, nothing of the schedule.
 */
import { expect, it } from 'vitest';
import { resolvePoolOptions } from '../../src/delivery/pool-options.js';
import {
  DEFAULT_RETRY_DEADLINE_MS,
  decideRetry,
  GENERIC_RETRY_BACKOFF,
} from '../../src/delivery/retry-policy.js';
import { SES_HOST } from './pool-fakes.js';

it('an SES host given { baseMs: 200 } backs off from 200 ms: the SES schedule is not mixed in', () => {
  const retry = resolvePoolOptions({ host: SES_HOST, retry: { baseMs: 200 } }).settings.retry;
  expect(retry).toEqual({ ...GENERIC_RETRY_BACKOFF, baseMs: 200, deadlineMs: DEFAULT_RETRY_DEADLINE_MS });
  const error = { outcome: 'not-sent', retryable: true, code: 'SMTP_TRANSIENT_FAILURE' } as const;
  // Full jitter below 200 ms × 2^(attempt−1): not the schedule's 5 s, 10 s.
  expect(decideRetry(retry, { attempt: 1, elapsedMs: 0, error }, () => 0.5)).toMatchObject({ delayMs: 100 });
  expect(decideRetry(retry, { attempt: 2, elapsedMs: 0, error }, () => 0.5)).toMatchObject({ delayMs: 200 });
});
