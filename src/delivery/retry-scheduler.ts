/**
 * Turns a failed attempt into the send's next step (RFC 5321 §4.5.4.1, SES retry guidance): a
 * back-off wait then the queue, an immediate fresh connection, a wait for resume() after a daily
 * quota stop, or giving up. The decision itself is the pure decideRetry (retry-policy.ts). While
 * the pool closes (without waitForRetries) no back-off is waited: the send settles with its failure.
 */
import { type Action, classifyRecipientRefusal } from '../errors/classify.js';
import type { RecipientRefusal, SmtpError } from '../errors/smtp-error.js';
import type { Reply } from '../protocol/reply-types.js';
import type { JobQueue } from './job-queue.js';
import type { PoolEvent, RetryCause } from './pool-events.js';
import type { ResolvedPoolSettings } from './pool-options.js';
import { type DecideOptions, decideRetry, type RetryErrorInfo } from './retry-policy.js';
import type { SendJob } from './send-job.js';

const RETRY_CAUSES: readonly RetryCause[] = [
  'retry',
  'slow-down',
  'reduce-connections',
  'reconnect',
  'stop-sending',
  'recipients',
];

/** Which deferred recipient's reply leads a per-recipient retry: a stop first, then slowing down. */
const URGENCY: Readonly<Record<Action, number>> = {
  'stop-sending': 5,
  'fix-credentials': 4,
  'slow-down': 3,
  'reduce-connections': 2,
  reconnect: 1,
  retry: 0,
  reject: 0,
  continue: 0,
};

export interface RetryHost {
  readonly settings: ResolvedPoolSettings;
  readonly queue: JobQueue;
  emit(event: PoolEvent): void;
  /** Puts a send back in the queue, or settles it if the pool is stopped or closing. */
  requeue(job: SendJob): void;
  /** False once close() was called without waitForRetries: a back-off would hold the close up. */
  readonly waitsForRetries: boolean;
  /** Whether the pool is stopped (quota, credentials) and `job` is to fail fast rather than wait. */
  failsFastNow(job: SendJob): boolean;
  /** What the pool does about a server's answer (rate, quota and credential stops). */
  applyAction(action: Action, reply: Reply | undefined, error: SmtpError | undefined): void;
  pump(): void;
}

export class RetryScheduler {
  readonly retriesByCause = Object.fromEntries(RETRY_CAUSES.map((cause) => [cause, 0])) as Record<
    RetryCause,
    number
  >;
  readonly #host: RetryHost;
  readonly #decide: DecideOptions;

  constructor(host: RetryHost) {
    this.#host = host;
    const { settings } = host;
    this.#decide = {
      random: settings.random,
      atLeastOnce: settings.atLeastOnce,
      ...(settings.maxReconnects === undefined ? {} : { maxReconnects: settings.maxReconnects }),
    };
  }

  /**
   * Some recipients got a 4xx at RCPT: they go again in a new transaction (RFC 5321 §4.5.4.1);
   * when retries stop they are reported as not sent and `finish` settles the send.
   */
  retryRecipients(job: SendJob, deferred: readonly RecipientRefusal[], finish: () => void): void {
    if (deferred.length === 0) {
      finish();
      return;
    }
    // Each recipient by its own reply: every distinct action is taken (a daily-quota 454 on any of
    // them stops the pool), and the retry follows the most pressing one.
    const { profile } = this.#host.settings;
    const classified = deferred.map((refusal) => ({
      ...refusal,
      disposition: classifyRecipientRefusal(refusal.reply, profile),
    }));
    const acted = new Set<Action>();
    for (const { reply, disposition } of classified) {
      if (acted.has(disposition.action)) continue;
      acted.add(disposition.action);
      this.#host.applyAction(disposition.action, reply, undefined);
    }
    const lead = classified.reduce((a, b) =>
      URGENCY[b.disposition.action] > URGENCY[a.disposition.action] ? b : a,
    );
    const byRecipient = new Map(classified.map((c) => [c.recipient, c]));
    const giveUp = (): void => {
      job.abandonPending((recipient) => ({
        reply: byRecipient.get(recipient)?.reply,
        code: byRecipient.get(recipient)?.disposition.code ?? lead.disposition.code,
        outcome: 'not-sent',
      }));
      finish();
    };
    const info: RetryErrorInfo = {
      outcome: 'not-sent',
      retryable: true,
      code: lead.disposition.code,
      action: lead.disposition.action,
    };
    this.retry(job, info, 'recipients', lead.reply, giveUp);
  }

  retry(
    job: SendJob,
    info: RetryErrorInfo,
    cause: RetryCause,
    reply: Reply | undefined,
    giveUp: () => void,
  ): void {
    if (job.callerAborted || job.killed || !job.replayable) {
      giveUp();
      return;
    }
    if (info.action === 'stop-sending' && job.quotaPolicy === 'wait' && info.outcome === 'not-sent') {
      this.retriesByCause['stop-sending']++;
      this.#deferred(job, info, reply);
      job.nextDelayMs = 0; // waiting for resume() is no back-off
      this.#host.requeue(job);
      return;
    }
    // The pool stopped meanwhile (another send met the quota, or refused credentials): a send that
    // is to fail fast does so now, instead of after a back-off that would only end in the same
    // place — a 'not-sent' one as the queued ones did (with the stop's error), one that may have
    // been delivered with its own error, whose 'unknown' says more than the stop. (The send whose
    // own reply stopped it settles with that reply.)
    const stoppedByIt = info.action === 'stop-sending' || info.action === 'fix-credentials';
    if (!stoppedByIt && this.#host.failsFastNow(job)) {
      if (info.outcome === 'not-sent') this.#host.requeue(job);
      else giveUp();
      return;
    }
    const { clock, retry } = this.#host.settings;
    const elapsedMs = clock.now() - (job.firstStartedAt ?? clock.now());
    const context = { attempt: job.attempt, elapsedMs, error: info, reconnects: job.reconnects };
    const decision = decideRetry(retry, context, this.#decide);
    // An immediate retry (a fresh connection) still goes during a close; a back-off does not.
    if (!decision.retry || (decision.delayMs > 0 && !this.#host.waitsForRetries)) {
      giveUp();
      return;
    }
    this.#deferred(job, info, reply);
    // close() may have come from a listener of that event: then the back-off is not waited, and no
    // retry is counted or announced that will not happen.
    if (decision.delayMs > 0 && !this.#host.waitsForRetries) {
      giveUp();
      return;
    }
    if (decision.countsAsAttempt) job.attempt++;
    else job.reconnects++;
    job.retryGiveUp = giveUp;
    if (decision.mayDuplicate) job.mayDuplicate = true;
    const effective: RetryCause = cause === 'reconnect' && decision.countsAsAttempt ? 'retry' : cause;
    this.retriesByCause[effective]++;
    job.nextDelayMs = decision.delayMs;
    this.#host.emit({
      type: 'retry-scheduled',
      sendId: job.id,
      delayMs: decision.delayMs,
      cause: effective,
      code: info.code,
      nextAttempt: job.attempt,
    });
    this.#wait(job, decision.delayMs, giveUp);
  }

  /**
   * Whether the retry deadline (the retry option's `deadlineMs`, from the first attempt) has passed:
   * the back-off fitted in it when it was decided, but the wait for a connection or send-rate tokens
   * after it may not have.
   */
  pastDeadline(job: SendJob): boolean {
    const { clock, retry } = this.#host.settings;
    const deadlineMs = typeof retry === 'object' ? retry.deadlineMs : undefined;
    return (
      deadlineMs !== undefined &&
      job.firstStartedAt !== undefined &&
      clock.now() - job.firstStartedAt > deadlineMs
    );
  }

  /** close() without waitForRetries: every send waiting out a back-off settles now with its last failure. */
  abandonWaiting(): void {
    for (const job of this.#host.queue.waiting()) {
      const giveUp = job.abandonRetry;
      job.abandonRetry = undefined;
      giveUp?.(); // settling takes it off its timer
    }
  }

  #deferred(job: SendJob, info: RetryErrorInfo, reply: Reply | undefined): void {
    this.#host.emit({
      type: 'message-deferred',
      sendId: job.id,
      recipients: [...job.pending],
      code: info.code,
      reply,
    });
  }

  #wait(job: SendJob, delayMs: number, giveUp: () => void): void {
    // Aborted from a listener of message-deferred / retry-scheduled: no back-off, no further attempt.
    if (job.callerAborted) {
      giveUp();
      return;
    }
    if (delayMs <= 0) {
      this.#host.requeue(job);
      return;
    }
    // close() came from a listener of retry-scheduled: it found nothing waiting to settle.
    if (!this.#host.waitsForRetries) {
      giveUp();
      return;
    }
    job.abandonRetry = giveUp;
    this.#host.queue.wait(job, delayMs, (due) => {
      due.abandonRetry = undefined;
      this.#host.requeue(due);
      this.#host.pump();
    });
  }
}

/** The retry cause a failure's action is counted under. */
export function causeOf(action: Action): RetryCause {
  switch (action) {
    case 'slow-down':
    case 'reduce-connections':
    case 'reconnect':
    case 'stop-sending':
      return action;
    default:
      return 'retry';
  }
}
