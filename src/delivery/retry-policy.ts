/**
 * Pure retry decisions for a failed send (RFC 5321 §4.5.4.1, threats.md §7): 4xx / not-sent is retried
 * on a schedule, 5xx never, a lost final reply ('unknown') only for callers who chose at-least-once.
 *
 * SES schedule (troubleshooting page): "wait 5 seconds before retrying, then wait 10 seconds, and then
 * wait 30 seconds. If the third retry doesn't succeed, wait 20 minutes, and then repeat the process."
 * We read "the process" as the whole sequence, so the waits cycle 5 s, 10 s, 30 s, 20 min, 5 s, 10 s, …
 * (not 20 min forever): after the 20-minute pause the short retries start over. The default deadline
 * is one hour after the first attempt: retries live in memory, die with the process and hold the
 * caller's promise open, so a longer horizon belongs to a persistent queue (set `deadlineMs`).
 */
import type { Action } from '../errors/classify.js';
import type { ErrorCode } from '../errors/codes.js';
import type { Outcome } from '../errors/smtp-error.js';
import { MAX_TIMER_MS } from '../protocol/limits.js';

/** What classifyReply says to do about a reply (src/errors/classify.ts). */
export type RetryAction = Action;

export interface RetryErrorInfo {
  readonly outcome: Outcome;
  readonly retryable: boolean;
  readonly code: ErrorCode | string;
  readonly action?: RetryAction | undefined;
}

export interface RetryContext {
  /** 1-based number of the attempt that just failed (free reconnects do not advance it). */
  readonly attempt: number;
  /** Milliseconds since the first attempt started. */
  readonly elapsedMs: number;
  readonly error: RetryErrorInfo;
  /** Immediate 'reconnect' retries already granted for this message (default 0). */
  readonly reconnects?: number | undefined;
}

/** Milliseconds to wait before the next attempt, or undefined to stop. */
export type RetryPolicy = (context: RetryContext) => number | undefined;

/** A fixed list of waits; `delaysMs[i]` is the wait after failed attempt i + 1. */
export interface RetrySchedule {
  readonly delaysMs: readonly number[];
  /** After the list, keep waiting the last delay. */
  readonly repeatLast?: boolean | undefined;
  /** After the list, start it over (takes precedence over repeatLast). */
  readonly cycle?: boolean | undefined;
  /** Total attempts including the first (so 1 = never retry). */
  readonly maxAttempts?: number | undefined;
  /** No attempt starts later than this many ms after the first one. */
  readonly deadlineMs?: number | undefined;
}

/** Exponential back-off with full jitter: wait = random() × min(capMs, baseMs × factor^(attempt−1)). */
export interface ExponentialBackoff {
  readonly baseMs: number;
  readonly factor: number;
  readonly capMs: number;
  readonly maxAttempts?: number | undefined;
  readonly deadlineMs?: number | undefined;
}

export type RetryOption = false | RetrySchedule | ExponentialBackoff | RetryPolicy;

/**
 * What the pool's `retry` option takes: a RetryOption, or a back-off with some of baseMs/factor/capMs
 * left to the generic one, or only `{ maxAttempts?, deadlineMs? }` (the default policy with those
 * limits). Resolved to a RetryOption when the pool is created (retry-option.ts).
 */
export type RetrySetting =
  | RetryOption
  | { readonly [K in keyof ExponentialBackoff]?: ExponentialBackoff[K] | undefined };

export type StopReason =
  | 'disabled'
  | 'not-retryable'
  | 'rejected'
  | 'unknown-outcome'
  | 'attempts-exhausted'
  | 'deadline'
  | 'stop-sending'
  | 'policy';

export type RetryDecision =
  | {
      readonly retry: true;
      readonly delayMs: number;
      /** False for a free immediate reconnect: the caller must not advance `attempt`. */
      readonly countsAsAttempt: boolean;
      /** True when retrying an 'unknown' outcome under at-least-once: the message may be duplicated. */
      readonly mayDuplicate: boolean;
    }
  | { readonly retry: false; readonly reason: StopReason };

export interface DecideOptions {
  /** Jitter source in [0, 1) (default Math.random). */
  readonly random?: () => number;
  /** Retry 'unknown' outcomes (connection lost after the final dot): accepts duplicates. */
  readonly atLeastOnce?: boolean;
  /** Free immediate retries for action 'reconnect' per message (default 1). */
  readonly maxReconnects?: number;
}

export const DEFAULT_RETRY_DEADLINE_MS = 60 * 60 * 1000;
export const DEFAULT_MAX_RECONNECTS = 1;

/** SES's documented schedule, cycled, within one hour. */
export const SES_RETRY_SCHEDULE: RetrySchedule = Object.freeze({
  delaysMs: Object.freeze([5_000, 10_000, 30_000, 20 * 60_000]),
  cycle: true,
  deadlineMs: DEFAULT_RETRY_DEADLINE_MS,
});

/** For servers without a documented schedule: 1 s doubling, capped at 5 min, full jitter, one hour. */
export const GENERIC_RETRY_BACKOFF: ExponentialBackoff = Object.freeze({
  baseMs: 1_000,
  factor: 2,
  capMs: 5 * 60_000,
  deadlineMs: DEFAULT_RETRY_DEADLINE_MS,
});

export function defaultRetryOption(provider: 'ses' | 'generic'): RetrySchedule | ExponentialBackoff {
  return provider === 'ses' ? SES_RETRY_SCHEDULE : GENERIC_RETRY_BACKOFF;
}

/**
 * Decides whether and when to retry. Safety gates come first and apply to every policy, including
 * custom functions: 'rejected' never, 'unknown' only with atLeastOnce, non-retryable never.
 * A `random` function may be passed directly as the third argument.
 */
export function decideRetry(
  policy: RetryOption,
  context: RetryContext,
  options: DecideOptions | (() => number) = {},
): RetryDecision {
  const opts: DecideOptions = typeof options === 'function' ? { random: options } : options;
  const gate = gateReason(policy, context, opts);
  if (gate) return stop(gate);
  const mayDuplicate = context.error.outcome === 'unknown';
  const deadlineMs = typeof policy === 'object' ? policy.deadlineMs : undefined;

  // 421 session cap / 451 idle timeout: the message was not sent and only the connection was stale,
  // so one fresh connection right away is not a back-off step. Bounded, because a server answering
  // 421 to every greeting would otherwise loop forever; past the bound it is an ordinary 4xx.
  if (
    context.error.action === 'reconnect' &&
    (context.reconnects ?? 0) < (opts.maxReconnects ?? DEFAULT_MAX_RECONNECTS)
  ) {
    if (deadlineMs !== undefined && context.elapsedMs > deadlineMs) return stop('deadline');
    return { retry: true, delayMs: 0, countsAsAttempt: false, mayDuplicate };
  }

  const delay = nextDelay(policy as Exclude<RetryOption, false>, context, opts.random ?? Math.random);
  if (typeof delay === 'string') return stop(delay);
  if (deadlineMs !== undefined && context.elapsedMs + delay > deadlineMs) return stop('deadline');
  return { retry: true, delayMs: delay, countsAsAttempt: true, mayDuplicate };
}

function gateReason(policy: RetryOption, context: RetryContext, opts: DecideOptions): StopReason | undefined {
  const { outcome, retryable, action } = context.error;
  if (policy === false) return 'disabled';
  if (outcome === 'rejected') return 'rejected';
  if (outcome === 'unknown' && opts.atLeastOnce !== true) return 'unknown-outcome';
  // An SmtpError is never `retryable` with an 'unknown' outcome (a resend may duplicate): under
  // at-least-once the caller has accepted that, so the loss itself is the reason to retry.
  if (!retryable && outcome !== 'unknown') return 'not-retryable';
  // Daily quota: the next 5-second retry is certain to fail too; the caller learns now and requeues.
  if (action === 'stop-sending') return 'stop-sending';
  if (action === 'reject' || action === 'fix-credentials') return 'not-retryable';
  return undefined;
}

/** A wait the scheduler can arm: NaN and negatives are 0, overflowing values the timer maximum. */
function safeDelay(delay: number): number {
  if (Number.isNaN(delay) || delay < 0) return 0;
  return Math.min(delay, MAX_TIMER_MS);
}

function nextDelay(
  policy: Exclude<RetryOption, false>,
  context: RetryContext,
  random: () => number,
): number | StopReason {
  if (typeof policy === 'function') {
    const delay = policy(context);
    if (delay === undefined) return 'policy';
    if (Number.isNaN(delay)) return 'policy';
    if (delay === Number.POSITIVE_INFINITY) return 'deadline';
    return safeDelay(delay);
  }
  if (policy.maxAttempts !== undefined && context.attempt >= policy.maxAttempts) return 'attempts-exhausted';
  if ('delaysMs' in policy) return scheduleDelay(policy, context.attempt);
  return backoffDelay(policy, context.attempt, random);
}

function scheduleDelay(schedule: RetrySchedule, attempt: number): number | StopReason {
  const { delaysMs } = schedule;
  if (delaysMs.length === 0) return 'attempts-exhausted';
  const index = attempt - 1;
  if (index < delaysMs.length) return safeDelay(delaysMs[index] ?? 0);
  if (schedule.cycle) return safeDelay(delaysMs[index % delaysMs.length] ?? 0);
  if (schedule.repeatLast) return safeDelay(delaysMs[delaysMs.length - 1] ?? 0);
  return 'attempts-exhausted';
}

function backoffDelay(backoff: ExponentialBackoff, attempt: number, random: () => number): number {
  const exponent = Math.max(0, attempt - 1);
  const raw = backoff.baseMs * backoff.factor ** exponent; // 0 × Infinity is NaN for huge attempts
  const ceiling = Number.isNaN(raw) ? 0 : Math.min(backoff.capMs, raw);
  const jitter = random();
  const r = Number.isNaN(jitter) ? 0 : Math.min(Math.max(jitter, 0), 1);
  return safeDelay(Math.floor(r * safeDelay(ceiling)));
}

function stop(reason: StopReason): RetryDecision {
  return { retry: false, reason };
}
