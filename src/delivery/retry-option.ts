/**
 * Checks and completes the pool's `retry` option (RFC 5321 §4.5.4.1 retry strategy). A partial
 * object is completed from the provider's default (SES schedule or generic back-off): `{}` or
 * `{ maxAttempts }` / `{ deadlineMs }` alone is that default with those limits; a back-off missing
 * some of baseMs/factor/capMs takes them from the generic back-off; every object without a
 * deadlineMs gets the default one hour (retries live in memory). `deadlineMs: Infinity` = none.
 */
import { ErrorCodes } from '../errors/codes.js';
import { SmtpUsageError } from '../errors/smtp-error.js';
import { MAX_TIMER_MS } from '../protocol/limits.js';
import {
  DEFAULT_RETRY_DEADLINE_MS,
  defaultRetryOption,
  type ExponentialBackoff,
  GENERIC_RETRY_BACKOFF,
  type RetryOption,
  type RetrySchedule,
} from './retry-policy.js';

const SCHEDULE_KEYS = ['delaysMs', 'repeatLast', 'cycle'] as const;
const BACKOFF_KEYS = ['baseMs', 'factor', 'capMs'] as const;
const LIMIT_KEYS = ['maxAttempts', 'deadlineMs'] as const;
const KNOWN: ReadonlySet<string> = new Set([...SCHEDULE_KEYS, ...BACKOFF_KEYS, ...LIMIT_KEYS]);

type Fields = Partial<Record<(typeof KNOWN extends ReadonlySet<infer K> ? K : never) & string, unknown>>;

/** Throws SmtpUsageError (SMTP_INVALID_ARGUMENT) naming `retry` or `retry.<field>`. */
export function resolveRetryOption(value: unknown, provider: 'ses' | 'generic'): RetryOption {
  if (value === undefined) return defaultRetryOption(provider);
  if (value === false || typeof value === 'function') return value as RetryOption;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw usage(
      'retry',
      'must be false, a function, a schedule {delaysMs} or a back-off {baseMs, factor, capMs}',
    );
  }
  const fields = value as Fields;
  for (const key of Object.keys(fields)) {
    if (!KNOWN.has(key)) throw usage(`retry.${key}`, 'is not a retry option');
  }
  const has = (keys: readonly string[]) => keys.some((key) => fields[key as keyof Fields] !== undefined);
  if (has(SCHEDULE_KEYS) && has(BACKOFF_KEYS)) {
    throw usage('retry', 'is either a schedule (delaysMs) or a back-off (baseMs, factor, capMs), not both');
  }
  const limits = {
    ...optional('maxAttempts', positiveInteger(fields.maxAttempts, 'retry.maxAttempts')),
    deadlineMs: deadline(fields.deadlineMs) ?? DEFAULT_RETRY_DEADLINE_MS,
  };
  if (has(SCHEDULE_KEYS)) return { ...schedule(fields), ...limits };
  if (has(BACKOFF_KEYS)) return { ...backoff(fields), ...limits };
  return { ...defaultRetryOption(provider), ...limits };
}

function schedule(fields: Fields): RetrySchedule {
  const delays = fields.delaysMs;
  if (!Array.isArray(delays)) throw usage('retry.delaysMs', 'must be an array of milliseconds');
  if (!delays.every((d) => isMs(d))) {
    throw usage('retry.delaysMs', `must hold numbers of milliseconds from 0 to ${MAX_TIMER_MS}`);
  }
  return {
    delaysMs: Object.freeze([...(delays as number[])]),
    ...optional('repeatLast', flag(fields.repeatLast, 'retry.repeatLast')),
    ...optional('cycle', flag(fields.cycle, 'retry.cycle')),
  };
}

function backoff(fields: Fields): ExponentialBackoff {
  const baseMs = fields.baseMs ?? GENERIC_RETRY_BACKOFF.baseMs;
  const factor = fields.factor ?? GENERIC_RETRY_BACKOFF.factor;
  const capMs = fields.capMs ?? GENERIC_RETRY_BACKOFF.capMs;
  if (!isMs(baseMs)) throw usage('retry.baseMs', `must be milliseconds from 0 to ${MAX_TIMER_MS}`);
  if (!isMs(capMs)) throw usage('retry.capMs', `must be milliseconds from 0 to ${MAX_TIMER_MS}`);
  if (!(typeof factor === 'number' && Number.isFinite(factor) && factor >= 1)) {
    throw usage('retry.factor', 'must be a finite number, at least 1');
  }
  return { baseMs, factor, capMs };
}

function isMs(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= MAX_TIMER_MS;
}

function positiveInteger(value: unknown, field: string): number | undefined {
  if (value === undefined) return undefined;
  if (!(Number.isSafeInteger(value) && (value as number) >= 1))
    throw usage(field, 'must be an integer, at least 1');
  return value as number;
}

function deadline(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  // Compared with elapsed time, never armed as a timer: Infinity (no deadline) is allowed.
  if (
    !(
      typeof value === 'number' &&
      value >= 0 &&
      (Number.isFinite(value) || value === Number.POSITIVE_INFINITY)
    )
  ) {
    throw usage('retry.deadlineMs', 'must be milliseconds, 0 or more (Infinity: no deadline)');
  }
  return value;
}

function flag(value: unknown, field: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw usage(field, 'must be a boolean');
  return value;
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function usage(field: string, rule: string): SmtpUsageError {
  return new SmtpUsageError({
    code: ErrorCodes.INVALID_ARGUMENT,
    field,
    message: `Pool option "${field}" ${rule}`,
  });
}
