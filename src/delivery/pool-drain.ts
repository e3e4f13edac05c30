/**
 * The pool's graceful close (RFC 5321 §4.1.1.10 QUIT): no new sends; in-flight and queued sends
 * finish; sends waiting out a retry back-off settle at once with their last failure unless
 * `waitForRetries`. Past the optional deadline the rest fail CLIENT_CLOSED: queued ones 'not-sent',
 * aborted transactions with the outcome they report, 'unknown' only if none comes (threats.md §7).
 */

import { invalidArgument } from '../errors/invalid-argument.js';
import type { SmtpError } from '../errors/smtp-error.js';
import { MAX_TIMER_MS } from '../protocol/limits.js';
import { summarizeError } from './attempt-history.js';
import type { Clock } from './clock.js';
import type { ConnectionSlots } from './connection-slot.js';
import type { JobQueue } from './job-queue.js';
import { closedError } from './pool-errors.js';
import type { PoolEvent } from './pool-events.js';
import type { SendJob } from './send-job.js';

export interface PoolCloseOptions {
  /**
   * After this many ms, sends still unsettled fail with SMTP_CLIENT_CLOSED and connections are
   * dropped without QUIT. A transaction in progress is aborted and given up to
   * CLOSE_SETTLE_GRACE_MS more to report whether its final dot was written.
   */
  readonly deadlineMs?: number | undefined;
  /** Wait out retry back-offs (up to 20 minutes on the SES schedule) instead of settling those sends now. */
  readonly waitForRetries?: boolean | undefined;
}

/**
 * How long an aborted transaction may take to report its outcome after the close deadline. The
 * client answers an abort at once (the session knows whether the dot was written); only a client
 * that never answers is reported 'unknown' without knowing.
 */
export const CLOSE_SETTLE_GRACE_MS = 1_000;

export interface DrainHost {
  readonly clock: Clock;
  readonly queue: JobQueue;
  readonly slots: ConnectionSlots;
  giveUp(job: SendJob, error: SmtpError): void;
  /** Settles every send waiting out a back-off with its last failure. */
  abandonRetries(): void;
  emit(event: PoolEvent): void;
  /** True while the pool is stopped (quota or credentials): queued sends would never start. */
  readonly stopped: boolean;
}

export class PoolDrain {
  readonly #host: DrainHost;
  #closePromise: Promise<void> | undefined;
  #waitForRetries = true;
  #deadlineTimer: unknown;
  #deadlineAt = Number.POSITIVE_INFINITY;
  #graceTimer: unknown;
  #killed = false;
  #draining = false;
  #closed = false;
  #onClosed: () => void = () => undefined;

  constructor(host: DrainHost) {
    this.#host = host;
  }

  /** The close deadline passed: nothing queued may start (the dropped connections free places). */
  get killed(): boolean {
    return this.#killed;
  }

  /** close() was called: sends are no longer taken. */
  get closing(): boolean {
    return this.#closePromise !== undefined;
  }

  /** Whether a failed send may still wait out a back-off. */
  get waitsForRetries(): boolean {
    return this.#waitForRetries;
  }

  /**
   * Starts the close, or, when one is under way, returns its promise after tightening it: a
   * shorter deadline, or `waitForRetries: false`, applies; nothing is loosened.
   */
  close(options: PoolCloseOptions = {}): Promise<void> {
    if (options === null || typeof options !== 'object') {
      return Promise.reject(
        invalidArgument('options', 'must be an object ({ deadlineMs?, waitForRetries? })'),
      );
    }
    const unknown = Object.keys(options).find((key) => key !== 'deadlineMs' && key !== 'waitForRetries');
    if (unknown !== undefined) return Promise.reject(invalidArgument(unknown, 'is not a close() option'));
    const { deadlineMs, waitForRetries } = options;
    if (deadlineMs !== undefined && !(typeof deadlineMs === 'number' && deadlineMs >= 0)) {
      return Promise.reject(invalidArgument('deadlineMs', 'must be a number of milliseconds, 0 or more'));
    }
    if (waitForRetries !== undefined && typeof waitForRetries !== 'boolean') {
      return Promise.reject(invalidArgument('waitForRetries', 'must be true or false'));
    }
    const first = this.#closePromise === undefined;
    this.#closePromise ??= new Promise<void>((resolve) => {
      this.#onClosed = resolve;
    });
    if (first) {
      this.#waitForRetries = waitForRetries === true;
      this.#host.emit({ type: 'pool-closing', deadlineMs, waitForRetries: this.#waitForRetries });
    } else if (waitForRetries === false) {
      this.#waitForRetries = false;
    }
    if (deadlineMs !== undefined) this.#armDeadline(deadlineMs);
    if (!this.#waitForRetries) this.#host.abandonRetries();
    this.check();
    return this.#closePromise;
  }

  /** Called whenever a send settles or the queue moves: QUITs everything once nothing is left. */
  check(): void {
    if (!this.#closePromise || this.#draining) return;
    const { queue, slots, clock } = this.#host;
    if (this.#host.stopped) {
      for (const job of queue.queued()) this.#host.giveUp(job, closedError('not-sent'));
    }
    if (!queue.empty) return;
    this.#draining = true;
    // The deadline stays armed: it drops connections whose QUIT is never answered.
    if (this.#graceTimer !== undefined) clock.clearTimeout(this.#graceTimer);
    void slots.closeAll().then(() => this.#finish());
  }

  /** Every connection has ended: close() resolves; a deadline still armed no longer applies. */
  #finish(): void {
    this.#closed = true;
    if (this.#deadlineTimer !== undefined) this.#host.clock.clearTimeout(this.#deadlineTimer);
    this.#deadlineTimer = undefined;
    this.#host.emit({ type: 'pool-closed' });
    this.#onClosed();
  }

  #armDeadline(deadlineMs: number): void {
    // Beyond what a timer can hold (about 24.8 days) is no deadline: Node would fire it at once.
    if (this.#killed || this.#closed || !(deadlineMs <= MAX_TIMER_MS)) return;
    const { clock } = this.#host;
    const at = clock.now() + deadlineMs;
    if (at >= this.#deadlineAt) return;
    if (this.#deadlineTimer !== undefined) clock.clearTimeout(this.#deadlineTimer);
    this.#deadlineAt = at;
    this.#deadlineTimer = clock.setTimeout(() => this.#kill(), deadlineMs);
  }

  /**
   * close() deadline: sends not yet in a transaction fail 'not-sent' now; transactions are aborted
   * and settle with the outcome the client reports (pool.ts), or 'unknown' after the grace.
   * Connections are dropped without QUIT, those already QUITting too.
   */
  #kill(): void {
    this.#deadlineTimer = undefined;
    this.#killed = true;
    const { queue, slots, clock } = this.#host;
    const inFlight = queue.inFlight();
    for (const job of inFlight) {
      job.killed = true;
      job.controller.abort(closedError('not-sent'));
    }
    // Dropped before anything settles, so the drain that follows finds nothing left to QUIT.
    slots.destroyAll();
    const sending = inFlight.filter((job) => job.sending);
    const notSent = [...queue.notInFlight(), ...inFlight.filter((job) => !job.sending)];
    this.#host.emit({ type: 'close-deadline', sending: sending.length, notSent: notSent.length });
    for (const job of notSent) this.#host.giveUp(job, closedError('not-sent'));
    if (sending.length > 0) {
      this.#graceTimer = clock.setTimeout(() => this.#expireGrace(sending), CLOSE_SETTLE_GRACE_MS);
    }
    this.check();
  }

  /** The aborted transactions that never reported: past the dot or not, nobody can tell. */
  #expireGrace(sending: readonly SendJob[]): void {
    this.#graceTimer = undefined;
    for (const job of sending) {
      if (job.settled) continue;
      const error = closedError('unknown');
      const current = job.attempts.at(-1);
      if (current && !current.error) current.error = summarizeError(error);
      job.markMaybeDelivered();
      this.#host.giveUp(job, error);
    }
    this.check();
  }
}
