/**
 * createPool: N connections, one transaction each at a time (RFC 5321 §3.3), a bounded FIFO queue,
 * retries on the SES schedule or generic back-off (RFC 5321 §4.5.4.1), per-recipient retry of 4xx
 * recipients, send-rate and connection-count adaptation, a daily-quota stop, and a graceful close.
 * Every send settles exactly once with its attempt history (threats.md §7).
 */
import { type Action, classifyReply } from '../errors/classify.js';
import { ErrorCodes } from '../errors/codes.js';
import { type Outcome, SmtpError } from '../errors/smtp-error.js';
import type { Reply } from '../protocol/reply-types.js';
import { createClient } from '../transport/client.js';
import type { ClientOptions } from '../transport/client-options.js';
import { type Attempt, asMaybeDelivered, summarizeError, withAttempts } from './attempt-history.js';
import { ConnectionSlots, type Slot } from './connection-slot.js';
import { breaksConnection, failureAction, toSmtpError } from './failure-action.js';
import { PoolAdaptation } from './pool-adaptation.js';
import { abortedError, closedError, queueFullError, usageError } from './pool-errors.js';
import type { PoolEvent, PoolStats, RetryCause } from './pool-events.js';
import {
  type ClientLike,
  type ClientSendResult,
  type PoolClientOptions,
  type PoolOptions,
  type PoolSettings,
  quotaPolicy,
  type RecipientRefusal,
  type ResolvedPoolSettings,
  resolvePoolOptions,
} from './pool-options.js';
import { QuotaGate } from './quota-gate.js';
import { type DecideOptions, decideRetry, type RetryErrorInfo } from './retry-policy.js';
import { type PoolSendRequest, type PoolSendResult, SendJob } from './send-job.js';

export interface PoolCloseOptions {
  /** After this many ms, sends still waiting fail with SMTP_CLIENT_CLOSED and connections are dropped. */
  readonly deadlineMs?: number;
}

export interface Pool {
  send(request: PoolSendRequest): Promise<PoolSendResult>;
  /** Stops taking sends, delivers what is queued (within the deadline), then QUITs every connection. */
  close(options?: PoolCloseOptions): Promise<void>;
  /** Restarts sending after a daily-quota stop. */
  resume(): void;
  stats(): PoolStats;
}

type Counters = { delivered: number; rejected: number; unknown: number; failed: number };

const RETRY_CAUSES: readonly RetryCause[] = [
  'retry',
  'slow-down',
  'reduce-connections',
  'reconnect',
  'stop-sending',
  'recipients',
];

/** A pool of createClient() connections; the options are createClient's plus the pool's own. */
export function createPool(options: ClientOptions & PoolSettings<ClientOptions>): Pool;
/** A pool over any client factory (tests, instrumentation): `createClient` receives the non-pool options. */
export function createPool<O extends PoolClientOptions>(
  options: O & PoolSettings<O> & { readonly createClient: (options: O) => ClientLike },
): Pool;
export function createPool<O extends PoolClientOptions>(options: PoolOptions<O>): Pool {
  const { settings, clientOptions } = resolvePoolOptions(options);
  // The client classifies with the same profile, so its error codes name SES's replies too.
  const forClient =
    options.profile === undefined ? { ...clientOptions, profile: settings.profile } : clientOptions;
  const factory =
    options.createClient ?? ((o: O): ClientLike => createClient(o as PoolClientOptions as ClientOptions));
  return new DeliveryPool(settings, () => factory(forClient));
}

class DeliveryPool implements Pool {
  readonly #s: ResolvedPoolSettings;
  readonly #slots: ConnectionSlots;
  readonly #adapt: PoolAdaptation;
  readonly #quota = new QuotaGate();
  readonly #decide: DecideOptions;
  /** Sends waiting for a connection, in arrival order (retries go back to their place). */
  #queue: SendJob[] = [];
  readonly #waiting = new Set<SendJob>();
  readonly #inFlight = new Set<SendJob>();
  readonly #counters: Counters = { delivered: 0, rejected: 0, unknown: 0, failed: 0 };
  readonly #retries = Object.fromEntries(RETRY_CAUSES.map((cause) => [cause, 0])) as Record<
    RetryCause,
    number
  >;
  #nextId = 1;
  #pumping = false;
  #pumpAgain = false;
  #closePromise: Promise<void> | undefined;
  #deadlineTimer: unknown;
  #draining = false;
  #onClosed: () => void = () => undefined;

  constructor(settings: ResolvedPoolSettings, create: () => ClientLike) {
    this.#s = settings;
    const { clock } = settings;
    this.#slots = new ConnectionSlots({
      clock,
      create,
      maxMessages: settings.maxMessagesPerConnection,
      maxAgeMs: settings.maxConnectionAgeMs,
      idleTimeoutMs: settings.idleTimeoutMs,
      emit: (event) => this.#emit(event),
      onClosed: () => this.#pump(),
    });
    this.#adapt = new PoolAdaptation(settings, (event) => this.#emit(event));
    this.#decide = {
      random: settings.random,
      atLeastOnce: settings.atLeastOnce,
      ...(settings.maxReconnects === undefined ? {} : { maxReconnects: settings.maxReconnects }),
    };
  }

  send(request: PoolSendRequest): Promise<PoolSendResult> {
    let job: SendJob;
    try {
      if (request === null || typeof request !== 'object') throw usageError('request', 'must be an object');
      if (typeof request.to !== 'string' && !Array.isArray(request.to))
        throw usageError('to', 'must be a string or an array');
      const policy = quotaPolicy(request.onQuotaExceeded ?? this.#s.onQuotaExceeded, 'onQuotaExceeded');
      job = new SendJob(this.#nextId++, request, policy, (aborted) => this.#onCallerAbort(aborted));
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.#closePromise) this.#fail(job, closedError('not-sent'));
    else if (job.callerAborted) this.#fail(job, abortedError(job.callerSignal?.reason));
    else {
      this.#enqueue(job);
      this.#pump();
      if (job.state === 'queued' && this.#queue.length + this.#waiting.size > this.#s.maxQueue) {
        this.#fail(job, queueFullError());
      }
    }
    return job.promise;
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
      this.#deadlineTimer = this.#s.clock.setTimeout(() => this.#kill(), deadline);
    }
    this.#checkDrained();
    return this.#closePromise;
  }

  resume(): void {
    if (!this.#quota.resume()) return;
    this.#emit({ type: 'quota-resumed' });
    this.#pump();
  }

  stats(): PoolStats {
    return {
      queued: this.#queue.length,
      inFlight: [...this.#inFlight].filter((job) => !job.settled).length,
      waitingRetry: this.#waiting.size,
      connections: this.#slots.alive,
      ...this.#counters,
      retriesByCause: { ...this.#retries },
      currentRate: this.#adapt.currentRate,
      concurrency: this.#adapt.concurrency,
      quotaStopped: this.#quota.stopped,
    };
  }

  #pump(): void {
    if (this.#pumping) {
      this.#pumpAgain = true;
      return;
    }
    this.#pumping = true;
    try {
      do {
        this.#pumpAgain = false;
        this.#dispatch();
        this.#slots.trim(this.#adapt.concurrency);
      } while (this.#pumpAgain);
    } finally {
      this.#pumping = false;
    }
    this.#checkDrained();
  }

  #dispatch(): void {
    for (let job = this.#queue[0]; job && !this.#quota.stopped; job = this.#queue[0]) {
      const slot = this.#slots.acquire({ fresh: job.needsFreshConnection, limit: this.#adapt.concurrency });
      if (!slot) return;
      this.#queue.shift();
      job.needsFreshConnection = false;
      this.#run(job, slot).catch((error: unknown) => this.#giveUp(job, toSmtpError(error)));
    }
  }

  async #run(job: SendJob, claimed: Slot): Promise<void> {
    job.state = 'in-flight';
    this.#inFlight.add(job);
    let slot = claimed;
    try {
      await this.#adapt.take(job.pending.length, job.signal);
      slot = await this.#slots.refresh(slot);
    } catch (error) {
      this.#inFlight.delete(job);
      this.#slots.release(slot, { broken: false, limit: this.#adapt.concurrency });
      this.#giveUp(job, job.killed ? closedError('not-sent') : toSmtpError(error));
      return this.#pump();
    }
    if (job.settled) {
      this.#inFlight.delete(job);
      this.#slots.release(slot, { broken: false, limit: this.#adapt.concurrency });
      return this.#pump();
    }
    const attempt = this.#startAttempt(job, slot);
    const reused = slot.messages > 0;
    let result: ClientSendResult | undefined;
    let failure: SmtpError | undefined;
    try {
      result = await slot.client.send(job.clientRequest());
    } catch (error) {
      failure = toSmtpError(error);
    }
    slot.messages++;
    this.#inFlight.delete(job);
    if (result) this.#onResult(job, slot, attempt, result);
    else this.#onFailure(job, slot, attempt, failure ?? toSmtpError(undefined), reused);
    this.#pump();
  }

  #startAttempt(job: SendJob, slot: Slot): Attempt {
    const now = this.#s.clock.now();
    job.firstStartedAt ??= now;
    job.sending = true;
    const attempt: Attempt = {
      startedAt: now,
      connectionId: slot.id,
      delayBeforeMs: job.nextDelayMs,
      recipients: [...job.pending],
    };
    job.attempts.push(attempt);
    this.#emit({
      type: 'attempt-started',
      sendId: job.id,
      attempt: job.attempt,
      connectionId: slot.id,
      recipients: attempt.recipients,
      delayBeforeMs: job.nextDelayMs,
    });
    return attempt;
  }

  #onResult(job: SendJob, slot: Slot, attempt: Attempt, result: ClientSendResult): void {
    job.sending = false;
    this.#slots.release(slot, { broken: false, limit: this.#adapt.concurrency });
    if (result.accepted.length > 0) this.#adapt.delivered();
    // Settled already (close deadline): the caller's history is final.
    if (job.settled) return;
    const codeOf = (reply: Reply) => classifyReply(reply, 'rcpt', this.#s.profile).code;
    const deferred = job.recordResult(attempt, result, codeOf);
    this.#retryRecipients(job, deferred, () => this.#deliver(job));
  }

  /**
   * Some recipients got a 4xx at RCPT: they go again in a new transaction (RFC 5321 §4.5.4.1);
   * when retries stop they are reported as not sent and `finish` settles the send.
   */
  #retryRecipients(job: SendJob, deferred: readonly RecipientRefusal[], finish: () => void): void {
    const first = deferred[0];
    if (!first) {
      finish();
      return;
    }
    const disposition = classifyReply(first.reply, 'rcpt', this.#s.profile);
    this.#applyAction(disposition.action, first.reply, undefined);
    const replies = new Map(deferred.map((refusal) => [refusal.recipient, refusal.reply]));
    const giveUp = (): void => {
      job.abandonPending((recipient) => ({
        reply: replies.get(recipient),
        code: disposition.code,
        outcome: 'not-sent',
      }));
      finish();
    };
    const info: RetryErrorInfo = {
      outcome: 'not-sent',
      retryable: true,
      code: disposition.code,
      action: disposition.action,
    };
    this.#retry(job, info, 'recipients', first.reply, giveUp);
  }

  #onFailure(job: SendJob, slot: Slot, attempt: Attempt, error: SmtpError, reused: boolean): void {
    job.sending = false;
    if (!job.settled) {
      attempt.error = summarizeError(error);
      if (error.reply) attempt.reply = error.reply;
    }
    const action = failureAction(error, this.#s.profile, reused);
    // Counted before this connection goes: the server refused while all of these were open.
    if (action === 'reduce-connections') this.#adapt.tooManyConnections(this.#slots.alive);
    this.#slots.release(slot, { broken: breaksConnection(error, action), limit: this.#adapt.concurrency });
    this.#applyAction(action, error.reply, error);
    if (job.settled) return;
    if (error.outcome === 'unknown') job.maybeDelivered = true;
    const refusals = error.rejectedRecipients;
    if (refusals !== undefined && refusals.length > 0) {
      // Every recipient refused at RCPT: 5xx ones are final, 4xx ones may go again.
      const codeOf = (reply: Reply) => classifyReply(reply, 'rcpt', this.#s.profile).code;
      const deferred = job.recordRefusals(refusals, codeOf);
      this.#retryRecipients(job, deferred, () => this.#giveUp(job, error));
      return;
    }
    job.needsFreshConnection = action === 'reconnect';
    const info: RetryErrorInfo = {
      outcome: error.outcome,
      // A connection that was gone before this message's commands mattered: nothing was sent.
      retryable: error.retryable || (action === 'reconnect' && error.outcome === 'not-sent'),
      code: error.code,
      action,
    };
    this.#retry(job, info, causeOf(action), error.reply, () => this.#giveUp(job, error));
  }

  #retry(
    job: SendJob,
    info: RetryErrorInfo,
    cause: RetryCause,
    reply: SmtpError['reply'],
    giveUp: () => void,
  ): void {
    if (job.callerAborted || job.killed || !job.replayable) {
      giveUp();
      return;
    }
    if (info.action === 'stop-sending' && job.quotaPolicy === 'wait' && info.outcome === 'not-sent') {
      this.#retries['stop-sending']++;
      this.#emit({
        type: 'message-deferred',
        sendId: job.id,
        recipients: [...job.pending],
        code: info.code,
        reply,
      });
      this.#enqueue(job);
      return;
    }
    const elapsedMs = this.#s.clock.now() - (job.firstStartedAt ?? this.#s.clock.now());
    const context = { attempt: job.attempt, elapsedMs, error: info, reconnects: job.reconnects };
    const decision = decideRetry(this.#s.retry, context, this.#decide);
    if (!decision.retry) {
      giveUp();
      return;
    }
    if (decision.countsAsAttempt) job.attempt++;
    else job.reconnects++;
    if (decision.mayDuplicate) job.mayDuplicate = true;
    const effective: RetryCause = cause === 'reconnect' && decision.countsAsAttempt ? 'retry' : cause;
    this.#retries[effective]++;
    job.nextDelayMs = decision.delayMs;
    this.#emit({
      type: 'message-deferred',
      sendId: job.id,
      recipients: [...job.pending],
      code: info.code,
      reply,
    });
    this.#emit({
      type: 'retry-scheduled',
      sendId: job.id,
      delayMs: decision.delayMs,
      cause: effective,
      code: info.code,
      nextAttempt: job.attempt,
    });
    this.#wait(job, decision.delayMs);
  }

  #wait(job: SendJob, delayMs: number): void {
    if (delayMs <= 0) {
      this.#enqueue(job);
      return;
    }
    job.state = 'waiting';
    this.#waiting.add(job);
    job.timer = this.#s.clock.setTimeout(() => {
      job.timer = undefined;
      this.#waiting.delete(job);
      this.#enqueue(job);
      this.#pump();
    }, delayMs);
  }

  #enqueue(job: SendJob): void {
    if (job.settled) return;
    if (this.#quota.stopped && (job.quotaPolicy === 'fail' || this.#closePromise)) {
      this.#giveUp(job, this.#closePromise ? closedError('not-sent') : this.#quota.failure());
      return;
    }
    job.state = 'queued';
    let index = this.#queue.length;
    while (index > 0 && (this.#queue[index - 1]?.id ?? 0) > job.id) index--;
    this.#queue.splice(index, 0, job);
  }

  #applyAction(action: Action, reply: Reply | undefined, error: SmtpError | undefined): void {
    if (action === 'slow-down') this.#adapt.throttled();
    if (action !== 'stop-sending') return;
    const cause =
      error ??
      new SmtpError({
        code: ErrorCodes.DAILY_QUOTA_EXCEEDED,
        origin: 'remote',
        outcome: 'not-sent',
        retryable: true,
        message: 'Daily sending quota exceeded',
        ...(reply === undefined ? {} : { reply }),
      });
    if (!this.#quota.stop(cause)) return;
    this.#emit({ type: 'quota-stopped', code: cause.code, reply: cause.reply });
    for (const job of [...this.#queue, ...this.#waiting]) {
      if (job.quotaPolicy === 'fail') this.#giveUp(job, this.#quota.failure());
    }
  }

  #onCallerAbort(job: SendJob): void {
    if (job.state === 'queued' || job.state === 'waiting') {
      this.#giveUp(job, abortedError(job.callerSignal?.reason));
      this.#pump();
    }
    // In flight: the rate limiter or the client sees the signal and fails the attempt.
  }

  /** No more attempts: resolve if some recipients got it, else reject with `error`. */
  #giveUp(job: SendJob, error: SmtpError): void {
    if (job.settled) return;
    if (job.accepted.length > 0) {
      job.abandonPending(() => ({ reply: error.reply, code: error.code, outcome: error.outcome }));
      this.#deliver(job);
      return;
    }
    this.#fail(job, job.maybeDelivered ? asMaybeDelivered(error) : error);
  }

  #deliver(job: SendJob): void {
    this.#detach(job);
    const reply = job.lastReply;
    if (!reply) {
      this.#fail(job, toSmtpError(new Error('delivered without a reply')));
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
    this.#counters.delivered++;
    this.#emit({
      type: 'message-accepted',
      sendId: job.id,
      messageId: job.messageId,
      accepted: result.accepted,
      rejected: result.rejected.map((refusal) => refusal.recipient),
      attempts: job.attempts.length,
    });
    this.#checkDrained();
  }

  #fail(job: SendJob, error: SmtpError): void {
    this.#detach(job);
    if (!job.reject(withAttempts(error, job.attempts))) return;
    const counter: Record<Outcome, keyof Counters> = {
      'not-sent': 'failed',
      rejected: 'rejected',
      unknown: 'unknown',
    };
    this.#counters[counter[error.outcome]]++;
    this.#emit({
      type: 'message-rejected',
      sendId: job.id,
      code: error.code,
      outcome: error.outcome,
      attempts: job.attempts.length,
    });
    this.#checkDrained();
  }

  #detach(job: SendJob): void {
    if (job.timer !== undefined) this.#s.clock.clearTimeout(job.timer);
    job.timer = undefined;
    this.#waiting.delete(job);
    const index = this.#queue.indexOf(job);
    if (index >= 0) this.#queue.splice(index, 1);
  }

  /** close() deadline: everything still unsettled fails now; connections are dropped without QUIT. */
  #kill(): void {
    this.#deadlineTimer = undefined;
    const inFlight = [...this.#inFlight].filter((job) => !job.settled);
    for (const job of inFlight) {
      job.killed = true;
      job.controller.abort(closedError('not-sent'));
    }
    // Dropped before anything settles, so the drain that follows finds nothing left to QUIT.
    this.#slots.destroyAll();
    for (const job of [...this.#queue, ...this.#waiting]) this.#giveUp(job, closedError('not-sent'));
    for (const job of inFlight) {
      // Past the point of no return we cannot tell whether the server took it.
      const error = closedError(job.sending ? 'unknown' : 'not-sent');
      const current = job.attempts.at(-1);
      if (job.sending && current && !current.error) current.error = summarizeError(error);
      if (job.sending && error.outcome === 'unknown') job.maybeDelivered = true;
      this.#giveUp(job, error);
    }
    this.#checkDrained();
  }

  #checkDrained(): void {
    if (!this.#closePromise || this.#draining) return;
    if (this.#quota.stopped) {
      for (const job of [...this.#queue]) this.#giveUp(job, closedError('not-sent'));
    }
    if (this.#queue.length > 0 || this.#waiting.size > 0) return;
    if ([...this.#inFlight].some((job) => !job.settled)) return;
    this.#draining = true;
    if (this.#deadlineTimer !== undefined) this.#s.clock.clearTimeout(this.#deadlineTimer);
    void this.#slots.closeAll().then(() => this.#onClosed());
  }

  #emit(event: PoolEvent): void {
    try {
      this.#s.onEvent?.(event);
    } catch {
      // A failing listener must not change delivery.
    }
  }
}

function causeOf(action: Action): RetryCause {
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
