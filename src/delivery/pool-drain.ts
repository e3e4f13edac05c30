/**
 * The pool's graceful close: no new sends, queued and in-flight ones finish (within an optional
 * deadline), then every connection QUITs (RFC 5321 §4.1.1.10). Past the deadline, what is left
 * fails with CLIENT_CLOSED: 'unknown' for a send already past its point of no return (threats.md §7).
 */
import type { SmtpError } from '../errors/smtp-error.js';
import { summarizeError } from './attempt-history.js';
import type { Clock } from './clock.js';
import type { ConnectionSlots } from './connection-slot.js';
import type { JobQueue } from './job-queue.js';
import { closedError, usageError } from './pool-errors.js';
import type { SendJob } from './send-job.js';

export interface PoolCloseOptions {
  /** After this many ms, sends still waiting fail with SMTP_CLIENT_CLOSED and connections are dropped. */
  readonly deadlineMs?: number;
}

export interface DrainHost {
  readonly clock: Clock;
  readonly queue: JobQueue;
  readonly slots: ConnectionSlots;
  giveUp(job: SendJob, error: SmtpError): void;
  /** True while the pool is stopped (quota or credentials): queued sends would never start. */
  readonly stopped: boolean;
}

export class PoolDrain {
  readonly #host: DrainHost;
  #closePromise: Promise<void> | undefined;
  #deadlineTimer: unknown;
  #draining = false;
  #onClosed: () => void = () => undefined;

  constructor(host: DrainHost) {
    this.#host = host;
  }

  /** close() was called: sends are no longer taken. */
  get closing(): boolean {
    return this.#closePromise !== undefined;
  }

  close(options: PoolCloseOptions = {}): Promise<void> {
    if (this.#closePromise) return this.#closePromise;
    const deadline = options.deadlineMs;
    if (deadline !== undefined && !(deadline >= 0)) {
      return Promise.reject(usageError('deadlineMs', 'must be a number of milliseconds, 0 or more'));
    }
    this.#closePromise = new Promise<void>((resolve) => {
      this.#onClosed = resolve;
    });
    if (deadline !== undefined && Number.isFinite(deadline)) {
      this.#deadlineTimer = this.#host.clock.setTimeout(() => this.#kill(), deadline);
    }
    this.check();
    return this.#closePromise;
  }

  /** Called whenever a send settles or the queue moves: QUITs everything once nothing is left. */
  check(): void {
    if (!this.#closePromise || this.#draining) return;
    const { queue, slots } = this.#host;
    if (this.#host.stopped) {
      for (const job of queue.queued()) this.#host.giveUp(job, closedError('not-sent'));
    }
    if (!queue.empty) return;
    this.#draining = true;
    if (this.#deadlineTimer !== undefined) this.#host.clock.clearTimeout(this.#deadlineTimer);
    void slots.closeAll().then(() => this.#onClosed());
  }

  /** close() deadline: everything still unsettled fails now; connections are dropped without QUIT. */
  #kill(): void {
    this.#deadlineTimer = undefined;
    const { queue, slots } = this.#host;
    const inFlight = queue.inFlight();
    for (const job of inFlight) {
      job.killed = true;
      job.controller.abort(closedError('not-sent'));
    }
    // Dropped before anything settles, so the drain that follows finds nothing left to QUIT.
    slots.destroyAll();
    for (const job of queue.notInFlight()) this.#host.giveUp(job, closedError('not-sent'));
    for (const job of inFlight) {
      // Past the point of no return we cannot tell whether the server took it.
      const error = closedError(job.sending ? 'unknown' : 'not-sent');
      const current = job.attempts.at(-1);
      if (job.sending && current && !current.error) current.error = summarizeError(error);
      if (job.sending) job.maybeDelivered = true;
      this.#host.giveUp(job, error);
    }
    this.check();
  }
}
