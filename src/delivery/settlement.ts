/**
 * The one way a pooled send ends (threats.md §7: every send settles exactly once): resolved when
 * some recipient got it, rejected otherwise, with its attempt history, counted and reported.
 */
import { copyError, type Outcome, type SmtpError, withRejectedRecipients } from '../errors/smtp-error.js';
import { asMaybeDelivered, withAttempts } from './attempt-history.js';
import { internalError } from './failure-action.js';
import type { JobQueue } from './job-queue.js';
import type { PoolEvent } from './pool-events.js';
import type { PoolSendResult, SendJob } from './send-job.js';

export interface SettlementCounters {
  delivered: number;
  rejected: number;
  unknown: number;
  failed: number;
}

const COUNTER: Readonly<Record<Outcome, keyof SettlementCounters>> = {
  'not-sent': 'failed',
  rejected: 'rejected',
  unknown: 'unknown',
};

export class Settlement {
  readonly counters: SettlementCounters = { delivered: 0, rejected: 0, unknown: 0, failed: 0 };
  readonly #queue: JobQueue;
  readonly #emit: (event: PoolEvent) => void;
  readonly #onSettled: () => void;

  constructor(queue: JobQueue, emit: (event: PoolEvent) => void, onSettled: () => void) {
    this.#queue = queue;
    this.#emit = emit;
    this.#onSettled = onSettled;
  }

  /** No more attempts: resolve if some recipients got it, else reject with `error`. */
  giveUp(job: SendJob, error: SmtpError): void {
    if (job.settled) return;
    if (job.accepted.length > 0) {
      job.abandonPending(() => ({ reply: error.reply, code: error.code, outcome: error.outcome }));
      this.deliver(job);
      return;
    }
    this.fail(job, job.maybeDelivered ? asMaybeDelivered(error) : error);
  }

  deliver(job: SendJob): void {
    this.#queue.detach(job);
    const reply = job.lastReply;
    if (!reply) {
      this.fail(job, internalError(new Error('a send was booked as delivered without a reply')));
      return;
    }
    const result: PoolSendResult = {
      ...(job.messageId === undefined ? {} : { messageId: job.messageId }),
      accepted: [...job.accepted],
      rejected: [...job.rejected],
      reply,
      attempts: job.attempts,
      mayDuplicate: job.mayDuplicate,
    };
    if (!job.resolve(result)) return;
    this.counters.delivered++;
    this.#emit({
      type: 'message-accepted',
      sendId: job.id,
      messageId: job.messageId,
      accepted: result.accepted,
      rejected: result.rejected.map((refusal) => refusal.recipient),
      attempts: job.attempts.length,
    });
    this.#onSettled();
  }

  fail(job: SendJob, error: SmtpError): void {
    this.#queue.detach(job);
    if (!job.reject(withAttempts(withEarlierRefusals(ownError(error), job), job.attempts))) return;
    this.counters[COUNTER[error.outcome]]++;
    this.#emit({
      type: 'message-rejected',
      sendId: job.id,
      code: error.code,
      outcome: error.outcome,
      attempts: job.attempts.length,
    });
    this.#onSettled();
  }
}

/** Errors already given to a caller of this pool, with that send's history written onto them. */
const given = new WeakSet<SmtpError>();

/**
 * The caller's own error object. The one a client hands back may fail two sends (a session that
 * ends settles the send behind the one in flight with the same error), and what is written onto it
 * here (the history, earlier refusals) belongs to one send: the first send gets the error itself,
 * a later one a copy.
 */
function ownError(error: SmtpError): SmtpError {
  if (!given.has(error)) {
    given.add(error);
    return error;
  }
  return copyError(error);
}

/**
 * Recipients refused for good (5xx) in an earlier attempt stay reported when the send fails in a
 * later one (README: "5xx recipients are reported"): the caller must not send to them again.
 */
function withEarlierRefusals(error: SmtpError, job: SendJob): SmtpError {
  const own = error.rejectedRecipients ?? [];
  const earlier = job.rejected.flatMap(({ recipient, reply, outcome }) =>
    // A refusal for good is a server's reply (recordRefusals, recordFinalRefusals).
    outcome === 'rejected' && reply !== undefined && !own.some((r) => r.recipient === recipient)
      ? [{ recipient, reply }]
      : [],
  );
  if (earlier.length === 0) return error;
  // A copy: the error as the client gave it may be another send's too (ownError).
  return withRejectedRecipients(error, [...own, ...earlier]);
}
