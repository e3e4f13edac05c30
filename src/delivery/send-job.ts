/**
 * One pooled send from send() to its single settlement: the recipients still to deliver, those
 * accepted or refused so far (RFC 5321 §3.3: a 4xx recipient may be retried in a new transaction),
 * the attempt history, and the guard that settles it exactly once.
 */
import { deferredAtRcpt } from '../errors/classify.js';
import type { ErrorCode } from '../errors/codes.js';
import { invalidArgument } from '../errors/invalid-argument.js';
import type { Outcome, RecipientRefusal, SmtpError } from '../errors/smtp-error.js';
import type { Reply } from '../protocol/reply-types.js';
import { validateSignal } from '../session/validation.js';
import { watchAbort } from '../transport/abort-watch.js';
import type { MessageInput } from '../transport/message-source.js';
import type { Attempt } from './attempt-history.js';
import {
  type ClientSendRequest,
  type ClientSendResult,
  type QuotaPolicy,
  quotaPolicy,
} from './pool-options.js';

export interface PoolSendRequest {
  /** Envelope sender (MAIL FROM); '' is the null sender. */
  readonly from: string;
  /** Envelope recipients (RCPT TO). */
  readonly to: string | readonly string[];
  readonly message: MessageInput;
  /** Octets unchanged as BODY=BINARYMIME over BDAT (RFC 3030 §3): see createClient's send(). */
  readonly binary?: boolean | undefined;
  readonly signal?: AbortSignal | undefined;
  /** What this send does if the pool is stopped by the daily quota (default: the pool's option). */
  readonly onQuotaExceeded?: QuotaPolicy | undefined;
}

/** A recipient that did not get the message: refused at RCPT, or left over when retries stopped. */
export interface PoolRefusal {
  readonly recipient: string;
  readonly reply: Reply | undefined;
  readonly code: ErrorCode | string;
  readonly outcome: Outcome;
}

export interface PoolSendResult {
  /**
   * The server's message ID parsed from `reply` (the same transaction). A message whose recipients
   * went over several transactions has one ID per transaction: see each `attempts[i].messageId`.
   */
  readonly messageId?: string;
  readonly accepted: readonly string[];
  readonly rejected: readonly PoolRefusal[];
  /** Reply to the last final dot that delivered to someone. */
  readonly reply: Reply;
  readonly attempts: readonly Attempt[];
  /** True when an attempt whose outcome was unknown was retried (atLeastOnce): duplicates possible. */
  readonly mayDuplicate: boolean;
}

export type JobState = 'queued' | 'in-flight' | 'waiting' | 'settled';

export class SendJob {
  readonly id: number;
  readonly request: ClientSendRequest;
  readonly quotaPolicy: QuotaPolicy;
  readonly promise: Promise<PoolSendResult>;
  readonly controller = new AbortController();
  readonly callerSignal: AbortSignal | undefined;
  state: JobState = 'queued';
  pending: string[];
  accepted: string[] = [];
  rejected: PoolRefusal[] = [];
  attempts: Attempt[] = [];
  /** Number of the next attempt (free reconnects do not advance it). */
  attempt = 1;
  reconnects = 0;
  firstStartedAt: number | undefined;
  nextDelayMs = 0;
  /** An attempt lost its final reply: the message may already be out. */
  maybeDelivered = false;
  /** …to these recipients (that attempt's): reported 'unknown' whatever later attempts say. */
  readonly maybeDeliveredTo = new Set<string>();
  mayDuplicate = false;
  messageId: string | undefined;
  lastReply: Reply | undefined;
  /**
   * 0, or how many connections the pool had opened when the last attempt's connection died under it:
   * the next attempt takes only one opened after those.
   */
  freshAfter = 0;
  /** The pool's close() deadline ended this send. */
  killed = false;
  /** A transaction for it is running on a connection (client.send called, not yet settled). */
  sending = false;
  timer: unknown;
  /** While waiting out a back-off: settles the send with its last failure (close() does not wait). */
  abandonRetry: (() => void) | undefined;
  /**
   * While a retry is pending (from its decision until its attempt starts): what settles the send with
   * the failure being retried, should the retry deadline pass before the attempt can start.
   */
  retryGiveUp: (() => void) | undefined;
  #consumed = false;
  #resolve!: (result: PoolSendResult) => void;
  #reject!: (error: unknown) => void;
  readonly #unwatchCaller: (() => void) | undefined;

  constructor(
    id: number,
    request: PoolSendRequest,
    quotaPolicy: QuotaPolicy,
    onCallerAbort: (job: SendJob) => void,
  ) {
    this.id = id;
    const { signal, onQuotaExceeded: _ignored, ...rest } = request;
    const to = typeof rest.to === 'string' ? [rest.to] : [...rest.to];
    this.request = { ...rest, to, message: this.#track(rest.message) };
    this.quotaPolicy = quotaPolicy;
    this.pending = [...to];
    this.callerSignal = signal;
    this.promise = new Promise<PoolSendResult>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // One listener per signal, however many sends share it (abort-watch.ts).
    this.#unwatchCaller = signal
      ? watchAbort(signal, () => {
          if (!this.controller.signal.aborted) this.controller.abort(signal.reason);
          onCallerAbort(this);
        })
      : undefined;
  }

  /**
   * Checks the request's shape, then runs `check` (the pool's own checks of what no attempt could
   * send), and makes its job; throws SmtpUsageError naming the field. Only a job that is made listens
   * to the caller's signal: a refused send leaves nothing behind on it.
   */
  static create(
    id: number,
    request: PoolSendRequest,
    defaultPolicy: QuotaPolicy,
    onCallerAbort: (job: SendJob) => void,
    check: (request: PoolSendRequest) => void = () => {},
  ): SendJob {
    if (request === null || typeof request !== 'object')
      throw invalidArgument('request', 'must be an object');
    if (typeof request.to !== 'string' && !Array.isArray(request.to)) {
      throw invalidArgument('to', 'must be a string or an array');
    }
    validateSignal(request.signal);
    const policy = quotaPolicy(request.onQuotaExceeded ?? defaultPolicy, 'onQuotaExceeded');
    check(request);
    return new SendJob(id, request, policy, onCallerAbort);
  }

  get settled(): boolean {
    return this.state === 'settled';
  }

  /** The signal handed to the rate limiter and the client: the caller's abort or the pool's close deadline. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get callerAborted(): boolean {
    return this.callerSignal?.aborted === true;
  }

  /** A streamed body can be sent once: after its first read, no attempt may send it again. */
  get replayable(): boolean {
    return !this.#consumed;
  }

  /** Opens the history entry of an attempt that has its connection and send-rate tokens now. */
  startAttempt(connectionId: string, now: number): Attempt {
    this.firstStartedAt ??= now;
    this.sending = true;
    const attempt: Attempt = {
      startedAt: now,
      connectionId,
      delayBeforeMs: this.nextDelayMs,
      recipients: [...this.pending],
    };
    this.attempts.push(attempt);
    return attempt;
  }

  /** The client request for the next attempt: the recipients still pending. */
  clientRequest(): ClientSendRequest {
    return { ...this.request, to: [...this.pending], signal: this.signal };
  }

  /**
   * Books a completed transaction: accepted recipients, 5xx refusals (reported, never retried) and
   * returns the 4xx refusals, which stay pending for a new transaction (RFC 5321 §4.2.5, §4.5.4.1).
   */
  recordResult(
    attempt: Attempt,
    result: ClientSendResult,
    codeOf: (reply: Reply) => ErrorCode | string,
  ): readonly RecipientRefusal[] {
    attempt.reply = result.reply;
    attempt.accepted = [...result.accepted];
    if (result.messageId !== undefined) attempt.messageId = result.messageId;
    this.accepted.push(...result.accepted);
    this.lastReply = result.reply;
    this.messageId = result.messageId;
    return this.recordRefusals(result.rejected, codeOf);
  }

  /**
   * Books RCPT refusals: 5xx are final; the 4xx ones (and a 552 "too many recipients", RFC 5321
   * §4.5.3.1.10) become the pending recipients (returned).
   */
  recordRefusals(
    refusals: readonly RecipientRefusal[],
    codeOf: (reply: Reply) => ErrorCode | string,
  ): readonly RecipientRefusal[] {
    const deferred = refusals.filter((refusal) => deferredAtRcpt(refusal.reply));
    for (const { recipient, reply } of refusals) {
      if (deferredAtRcpt(reply)) continue;
      this.rejected.push(this.#orUnknown({ recipient, reply, code: codeOf(reply), outcome: 'rejected' }));
    }
    this.pending = deferred.map((refusal) => refusal.recipient);
    return deferred;
  }

  /**
   * Books the 5xx RCPT refusals of a transaction that then failed otherwise (its error's
   * `rejectedRecipients`): final, like recordRefusals' 5xx ones; the other recipients stay pending
   * for the next attempt of the whole message.
   */
  recordFinalRefusals(
    refusals: readonly RecipientRefusal[],
    codeOf: (reply: Reply) => ErrorCode | string,
  ): void {
    const refused = new Set<string>();
    for (const { recipient, reply } of refusals) {
      if (deferredAtRcpt(reply) || !this.pending.includes(recipient) || refused.has(recipient)) continue;
      this.rejected.push(this.#orUnknown({ recipient, reply, code: codeOf(reply), outcome: 'rejected' }));
      refused.add(recipient);
    }
    if (refused.size > 0) this.pending = this.pending.filter((recipient) => !refused.has(recipient));
  }

  /**
   * The attempt to the pending recipients lost its final reply (threats.md §7); `refused`: the
   * recipients its RCPTs refused, which got nothing of it.
   */
  markMaybeDelivered(refused: readonly RecipientRefusal[] = []): void {
    this.maybeDelivered = true;
    for (const recipient of this.pending)
      if (!refused.some((refusal) => refusal.recipient === recipient)) this.maybeDeliveredTo.add(recipient);
  }

  /** No more attempts for the pending recipients: they are reported as not delivered (or 'unknown'). */
  abandonPending(refusal: (recipient: string) => Omit<PoolRefusal, 'recipient'>): void {
    for (const recipient of this.pending)
      this.rejected.push(this.#orUnknown({ recipient, ...refusal(recipient) }));
    this.pending = [];
  }

  /** A recipient an earlier attempt may have delivered to is 'unknown', never 'not-sent' or 'rejected'. */
  #orUnknown(refusal: PoolRefusal): PoolRefusal {
    return this.maybeDeliveredTo.has(refusal.recipient) ? { ...refusal, outcome: 'unknown' } : refusal;
  }

  resolve(result: PoolSendResult): boolean {
    if (!this.#settle()) return false;
    this.#resolve(result);
    return true;
  }

  reject(error: SmtpError): boolean {
    if (!this.#settle()) return false;
    this.#reject(error);
    return true;
  }

  #settle(): boolean {
    if (this.state === 'settled') return false;
    this.state = 'settled';
    this.#unwatchCaller?.();
    return true;
  }

  #track(message: MessageInput): MessageInput {
    if (typeof message !== 'object' || message === null || message instanceof Uint8Array) return message;
    const iterate = (message as Partial<AsyncIterable<Uint8Array | string>>)[Symbol.asyncIterator];
    if (typeof iterate !== 'function') return message;
    // Its destroy() goes along: the transport releases a stream that stalls when a send ends without it.
    const destroy = (message as { destroy?: unknown }).destroy;
    return {
      [Symbol.asyncIterator]: () => {
        this.#consumed = true;
        return iterate.call(message);
      },
      ...(typeof destroy === 'function' ? { destroy: () => destroy.call(message) } : {}),
    };
  }
}
