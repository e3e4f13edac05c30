/**
 * What the pool reports without any logging dependency: one `onEvent` callback receiving these
 * values, and a `stats()` snapshot. Times are Clock times (monotonic ms), not wall-clock.
 */
import type { ErrorCode } from '../errors/codes.js';
import type { Outcome } from '../errors/smtp-error.js';
import type { Reply } from '../protocol/reply-types.js';

/** Why a send is tried again. 'recipients' = some recipients got a 4xx at RCPT and go in a new transaction. */
export type RetryCause =
  | 'retry'
  | 'slow-down'
  | 'reduce-connections'
  | 'reconnect'
  | 'stop-sending'
  | 'recipients';

/** Why a connection was replaced before its natural end. */
export type RecycleReason = 'max-messages' | 'max-age' | 'stale';

/** Why a connection was closed. */
export type CloseReason = 'recycled' | 'idle' | 'broken' | 'concurrency' | 'pool-closed' | 'replaced';

export type PoolEvent =
  | { readonly type: 'connection-opened'; readonly connectionId: string; readonly at: number }
  | {
      readonly type: 'connection-recycled';
      readonly connectionId: string;
      readonly reason: RecycleReason;
      readonly messages: number;
      readonly ageMs: number;
    }
  | { readonly type: 'connection-closed'; readonly connectionId: string; readonly reason: CloseReason }
  | {
      readonly type: 'attempt-started';
      readonly sendId: number;
      readonly attempt: number;
      readonly connectionId: string;
      readonly recipients: readonly string[];
      readonly delayBeforeMs: number;
    }
  | {
      readonly type: 'message-accepted';
      readonly sendId: number;
      readonly messageId: string | undefined;
      readonly accepted: readonly string[];
      readonly rejected: readonly string[];
      readonly attempts: number;
    }
  | {
      readonly type: 'message-deferred';
      readonly sendId: number;
      readonly recipients: readonly string[];
      readonly code: ErrorCode | string;
      readonly reply: Reply | undefined;
    }
  | {
      readonly type: 'message-rejected';
      readonly sendId: number;
      readonly code: ErrorCode | string;
      readonly outcome: Outcome;
      readonly attempts: number;
    }
  | {
      readonly type: 'retry-scheduled';
      readonly sendId: number;
      readonly delayMs: number;
      readonly cause: RetryCause;
      readonly code: ErrorCode | string;
      /** Number of the attempt that will run next (free reconnects reuse the number). */
      readonly nextAttempt: number;
    }
  | {
      readonly type: 'rate-changed';
      readonly ratePerSecond: number;
      readonly previous: number;
      readonly reason: 'throttled' | 'recovered';
    }
  | {
      readonly type: 'concurrency-changed';
      readonly concurrency: number;
      readonly previous: number;
      readonly reason: 'too-many-connections' | 'recovered';
    }
  | { readonly type: 'quota-stopped'; readonly code: ErrorCode | string; readonly reply: Reply | undefined }
  | { readonly type: 'quota-resumed' }
  /** 530/535, 504/534 to AUTH (action 'fix-credentials'): the pool stopped; queued and new sends fail fast until resume(). */
  | {
      readonly type: 'credentials-refused';
      readonly code: ErrorCode | string;
      readonly reply: Reply | undefined;
    }
  | { readonly type: 'credentials-resumed' }
  /** close() was called (once per pool): no send is taken from now on. */
  | {
      readonly type: 'pool-closing';
      readonly deadlineMs: number | undefined;
      readonly waitForRetries: boolean;
    }
  /**
   * The close deadline passed: `notSent` sends (queued, waiting, or not yet in a transaction) failed
   * CLIENT_CLOSED not-sent; `sending` transactions were aborted and settle with the outcome they report.
   */
  | { readonly type: 'close-deadline'; readonly sending: number; readonly notSent: number }
  /** Every send has settled and every connection has closed: close() resolves. */
  | { readonly type: 'pool-closed' };

export type PoolEventType = PoolEvent['type'];

export interface PoolStats {
  /** Sends waiting for a connection (including retries whose back-off has passed). */
  readonly queued: number;
  /** Sends holding a connection (waiting for send-rate tokens or in a transaction). */
  readonly inFlight: number;
  /** Sends waiting out a retry back-off. */
  readonly waitingRetry: number;
  /** Open connections (clients alive). */
  readonly connections: number;
  /** Sends resolved (every recipient accepted, or some accepted and the rest reported). */
  readonly delivered: number;
  /** Sends rejected with outcome 'rejected'. */
  readonly rejected: number;
  /** Sends rejected with outcome 'unknown' (may have been delivered). */
  readonly unknown: number;
  /** Sends rejected with outcome 'not-sent' (gave up, aborted, closed, quota, queue full). */
  readonly failed: number;
  /**
   * Retries decided, by cause: each `retry-scheduled` event, and under `stop-sending` each send put
   * back to wait for `resume()` after a daily-quota stop. A back-off that `close()` later abandoned
   * (without `waitForRetries`) still counts: it was decided and announced.
   */
  readonly retriesByCause: Readonly<Record<RetryCause, number>>;
  /** Current send rate of the limiter: undefined without `rateLimit` until a 454 "Maximum sending rate exceeded" made the pool learn one. */
  readonly currentRate: number | undefined;
  /** Connections the pool allows itself now (≤ maxConnections; lowered after 421 too many connections). */
  readonly concurrency: number;
  /** True while the daily quota stopped the pool (until resume()). */
  readonly quotaStopped: boolean;
  /** True while refused credentials (530/535, or 504/534 to AUTH) stopped the pool (until resume()). */
  readonly credentialsRefused: boolean;
}
