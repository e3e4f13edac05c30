/**
 * createPool: N connections, one transaction each at a time (RFC 5321 §3.3; up to three sends on a
 * pipelining connection when all N are in use, connection-slot.ts), a bounded FIFO queue,
 * retries on the SES schedule or generic back-off (RFC 5321 §4.5.4.1), per-recipient retry of 4xx
 * recipients, send-rate and connection-count adaptation, daily-quota and credential stops, and a
 * graceful close (pool-drain.ts: queued and in-flight sends finish, retry back-offs are not waited
 * unless asked). Every send settles exactly once with its attempt history (threats.md §7).
 * This file dispatches and interprets attempts; queue, retries, settlement and close live beside it.
 */
import { type Action, classifyRecipientRefusal, speaksSes } from '../errors/classify.js';
import { ErrorCodes } from '../errors/codes.js';
import type { SmtpError } from '../errors/smtp-error.js';
import type { Reply } from '../protocol/reply-types.js';
import { checkSesRecipientCount } from '../ses/recipients.js';
import { allRecipientsRejected } from '../session/transaction.js';
import { createPooledClient } from '../transport/client.js';
import {
  type ClientOptions,
  resolveClientOptions,
  snapshotClientOptions,
} from '../transport/client-options.js';
import { whileHeld } from '../transport/message-source.js';
import { precheckSend } from '../transport/send-request.js';
import { type Attempt, summarizeError } from './attempt-history.js';
import { ConnectionSlots, type Slot } from './connection-slot.js';
import { breaksConnection, failureAction, internalError, toSmtpError } from './failure-action.js';
import { JobQueue } from './job-queue.js';
import { PoolAdaptation } from './pool-adaptation.js';
import { type PoolCloseOptions, PoolDrain } from './pool-drain.js';
import { abortedError, closedError, queueFullError } from './pool-errors.js';
import type { PoolEvent, PoolStats } from './pool-events.js';
import {
  type ClientLike,
  type ClientSendResult,
  type PoolClientOptions,
  type PoolOptions,
  type PoolSettings,
  type ResolvedPoolSettings,
  resolvePoolOptions,
} from './pool-options.js';
import type { RetryErrorInfo } from './retry-policy.js';
import { causeOf, RetryScheduler } from './retry-scheduler.js';
import { type PoolSendRequest, type PoolSendResult, SendJob } from './send-job.js';
import { type PoolStopReason, quotaError, SendingGate } from './sending-gate.js';
import { Settlement } from './settlement.js';

export { CLOSE_SETTLE_GRACE_MS, type PoolCloseOptions } from './pool-drain.js';

export interface Pool {
  send(request: PoolSendRequest): Promise<PoolSendResult>;
  /**
   * Stops taking sends (later ones reject CLIENT_CLOSED, with no event or count); in-flight and
   * queued sends go out; sends waiting out a retry back-off settle now with their last failure
   * unless `waitForRetries`; then every connection QUITs. Idempotent: later calls return the same promise (and may only tighten
   * it: a shorter deadline, `waitForRetries: false`).
   */
  close(options?: PoolCloseOptions): Promise<void>;
  /** Restarts sending after a stop (daily quota exhausted, or credentials refused). */
  resume(): void;
  stats(): PoolStats;
}

/** A pool of createClient() connections; the options are createClient's plus the pool's own. */
export function createPool(options: ClientOptions & PoolSettings<ClientOptions>): Pool;
/** A pool over any client factory (tests, instrumentation): `createClient` receives the non-pool options. */
export function createPool<O extends PoolClientOptions>(
  options: O & PoolSettings<O> & { readonly createClient: (options: O) => ClientLike },
): Pool;
export function createPool<O extends PoolClientOptions>(options: PoolOptions<O>): Pool {
  const { settings, clientOptions, createClient: custom } = resolvePoolOptions(options);
  // The client classifies with the same profile (the pool's frozen copy, or its default), so its error
  // codes name SES's replies too.
  const withProfile = { ...clientOptions, profile: settings.profile };
  if (custom !== undefined) {
    const snapshot = snapshotClientOptions(withProfile as O & Partial<ClientOptions>);
    return new DeliveryPool(settings, () => custom(snapshot));
  }
  // The pool ends idle connections itself (idleTimeoutMs above): the client's own idle QUIT is off,
  // or its 5 s default would close first. Checked now, so a bad option fails here, not in send(); and
  // copied now, so the caller's objects (auth, tls, timeouts) changed later change no connection.
  const forClient = { ...(withProfile as PoolClientOptions as ClientOptions), idleTimeoutMs: 0 };
  const { maxMessageSize } = resolveClientOptions(forClient, 'a pool or client option');
  const snapshot = snapshotClientOptions(forClient);
  return new DeliveryPool(
    settings,
    () => createPooledClient(snapshot),
    (request) => precheckSend(request, maxMessageSize),
  );
}

class DeliveryPool implements Pool {
  readonly #s: ResolvedPoolSettings;
  readonly #slots: ConnectionSlots;
  readonly #adapt: PoolAdaptation;
  readonly #gate = new SendingGate();
  readonly #queue: JobQueue;
  readonly #settle: Settlement;
  readonly #retry: RetryScheduler;
  readonly #drain: PoolDrain;
  readonly #precheck: ((request: PoolSendRequest) => void) | undefined;
  #nextId = 1;
  #pumping = false;
  #pumpAgain = false;

  /**
   * `precheck`: what send() refuses before queueing, as the clients would (createClient's envelope and
   * size checks; none for a custom factory, whose clients decide what they take).
   */
  constructor(
    settings: ResolvedPoolSettings,
    create: () => ClientLike,
    precheck?: (request: PoolSendRequest) => void,
  ) {
    this.#s = settings;
    this.#precheck = precheck;
    const { clock } = settings;
    const emit = (event: PoolEvent): void => this.#emit(event);
    this.#slots = new ConnectionSlots({
      clock,
      create,
      maxMessages: settings.maxMessagesPerConnection,
      maxAgeMs: settings.maxConnectionAgeMs,
      idleTimeoutMs: settings.idleTimeoutMs,
      emit,
      onClosed: () => this.#pump(),
    });
    this.#adapt = new PoolAdaptation(settings, emit);
    this.#queue = new JobQueue(clock);
    this.#settle = new Settlement(this.#queue, emit, () => this.#drain.check());
    const gate = this.#gate;
    this.#drain = new PoolDrain({
      clock,
      queue: this.#queue,
      slots: this.#slots,
      giveUp: (job, error) => this.#settle.giveUp(job, error),
      abandonRetries: () => this.#retry.abandonWaiting(),
      emit,
      get stopped() {
        return gate.stopped;
      },
    });
    const drain = this.#drain;
    this.#retry = new RetryScheduler({
      settings,
      queue: this.#queue,
      emit,
      get waitsForRetries() {
        return drain.waitsForRetries;
      },
      requeue: (job) => this.#requeue(job),
      failsFastNow: (job) => this.#gate.stopped && this.#gate.failsFast(job.quotaPolicy),
      applyAction: (action, reply, error) => this.#applyAction(action, reply, error),
      pump: () => this.#pump(),
    });
  }

  send(request: PoolSendRequest): Promise<PoolSendResult> {
    // Held across attempts and back-offs: a stream that errors before it is read must not end the process.
    return whileHeld((request as { message?: unknown } | null)?.message, () => this.#send(request));
  }

  #send(request: PoolSendRequest): Promise<PoolSendResult> {
    let job: SendJob;
    try {
      // SES refuses more than 50 RCPTs only after the whole body went up (554): say so now.
      if (speaksSes(this.#s.profile)) checkSesRecipientCount(recipientCount(request));
      // What no attempt could send is refused now (#precheck): not queued behind other sends or a
      // stop, no send-rate token, no connection, no event.
      job = SendJob.create(
        this.#nextId,
        request,
        this.#s.onQuotaExceeded,
        (j) => this.#onCallerAbort(j),
        (r) => {
          this.#precheck?.(r);
          // A closing pool takes nothing more: refused like a bad request, with no id, event or
          // count (an event after `pool-closed` would read as the pool still at work).
          if (this.#drain.closing) throw closedError('not-sent');
        },
      );
      this.#nextId++; // a refused send takes no id: the ids in events stay consecutive
    } catch (error) {
      return Promise.reject(error);
    }
    if (job.callerAborted) this.#settle.fail(job, abortedError(job.callerSignal?.reason));
    else {
      this.#requeue(job);
      this.#pump();
      if (job.state === 'queued' && this.#queue.backlog > this.#s.maxQueue) {
        this.#settle.fail(job, queueFullError());
      }
    }
    return job.promise;
  }

  close(options: PoolCloseOptions = {}): Promise<void> {
    return this.#drain.close(options);
  }

  resume(): void {
    if (this.#drain.closing) return; // nothing more starts: a closing pool stays stopped
    const reason = this.#gate.resume();
    if (reason === undefined) return;
    this.#emit({ type: reason === 'daily-quota' ? 'quota-resumed' : 'credentials-resumed' });
    this.#pump();
  }

  stats(): PoolStats {
    return {
      queued: this.#queue.queuedCount,
      inFlight: this.#queue.inFlight().length,
      waitingRetry: this.#queue.waitingCount,
      connections: this.#slots.alive,
      ...this.#settle.counters,
      retriesByCause: { ...this.#retry.retriesByCause },
      currentRate: this.#adapt.currentRate,
      concurrency: this.#adapt.concurrency,
      quotaStopped: this.#gate.reason === 'daily-quota',
      credentialsRefused: this.#gate.reason === 'credentials',
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
    this.#drain.check();
  }

  #dispatch(): void {
    for (
      let job = this.#queue.head;
      job && !this.#gate.stopped && !this.#drain.killed;
      job = this.#queue.head
    ) {
      let slot: Slot | undefined;
      try {
        slot = this.#slots.acquire({ openedAfter: job.freshAfter, limit: this.#adapt.concurrency });
      } catch (error) {
        // The factory threw: this send fails with it (never a throw out of send(), never an orphan).
        this.#settle.giveUp(job, toSmtpError(error));
        continue;
      }
      if (!slot) return;
      // A listener of an event emitted while the connection was found (connection-opened, -recycled,
      // -closed) may have settled this send: the slot goes back and the new head is considered.
      if (this.#queue.head !== job) {
        this.#slots.release(slot, { broken: false, limit: this.#adapt.concurrency });
        continue;
      }
      this.#queue.start();
      job.freshAfter = 0;
      const running = job;
      this.#run(running, slot).catch((error: unknown) => this.#settle.giveUp(running, toSmtpError(error)));
    }
  }

  /**
   * One attempt of `job` on `claimed`: send-rate tokens, a usable connection, the transaction. The
   * job stays in flight until it is settled, queued or parked (job-queue.ts): a close() called from a
   * listener of the events emitted on the way still waits for it.
   */
  async #run(job: SendJob, claimed: Slot): Promise<void> {
    let slot: Slot | undefined = claimed;
    let failed: SmtpError | undefined;
    let elsewhere = false;
    try {
      await this.#adapt.take(job.pending.length, job.signal);
      const refreshed = await this.#slots.refresh(claimed, job.signal);
      elsewhere = refreshed === 'elsewhere';
      slot = elsewhere ? undefined : (refreshed as Slot | undefined);
    } catch (error) {
      failed = toSmtpError(error);
    }
    // Its shared connection went stale meanwhile, other sends still on it: the next free one.
    if (elsewhere && !job.settled && !job.killed) {
      this.#requeue(job);
      return this.#pump();
    }
    if (failed || !slot || job.settled) {
      if (slot) this.#slots.release(slot, { broken: false, limit: this.#adapt.concurrency });
      if (job.killed) failed = closedError('not-sent');
      else if (!slot) failed ??= abortedError(job.callerSignal?.reason);
      if (failed) this.#settle.giveUp(job, failed);
      return this.#pump();
    }
    // The pool stopped while this send waited for tokens or a connection: it fails or waits as the
    // queued ones do, without meeting the same refusal again (another AUTH, another 454).
    if (this.#gate.stopped) {
      this.#slots.release(slot, { broken: false, limit: this.#adapt.concurrency });
      this.#requeue(job);
      return this.#pump();
    }
    // A retry whose deadline passed while it waited for its turn, tokens or a connection does not
    // start (RetrySchedule.deadlineMs: no attempt after it): it fails with the failure it retried.
    const retryGiveUp = job.retryGiveUp;
    job.retryGiveUp = undefined;
    if (retryGiveUp !== undefined && this.#retry.pastDeadline(job)) {
      this.#slots.release(slot, { broken: false, limit: this.#adapt.concurrency });
      retryGiveUp();
      return this.#pump();
    }
    const attempt = this.#startAttempt(job, slot);
    // Shared (sends > 1): the connection was open and pipelining before this message's commands.
    const reused = slot.messages > 0 || slot.sends > 1;
    let result: ClientSendResult | undefined;
    let failure: SmtpError | undefined;
    const seat = ++slot.handed;
    try {
      result = await slot.client.send(job.clientRequest());
    } catch (error) {
      failure = toSmtpError(error);
    }
    slot.messages++;
    if (result) this.#onResult(job, slot, attempt, result);
    else this.#onFailure(job, slot, { attempt, reused, seat }, failure ?? internalError(undefined));
    this.#pump();
  }

  #startAttempt(job: SendJob, slot: Slot): Attempt {
    const attempt = job.startAttempt(slot.id, this.#s.clock.now());
    if (this.#s.onEvent === undefined) return attempt; // no listener: no event to build
    this.#emit({
      type: 'attempt-started',
      sendId: job.id,
      attempt: job.attempt,
      connectionId: slot.id,
      recipients: attempt.recipients,
      delayBeforeMs: attempt.delayBeforeMs,
    });
    return attempt;
  }

  #onResult(job: SendJob, slot: Slot, attempt: Attempt, result: ClientSendResult): void {
    job.sending = false;
    this.#slots.release(slot, { broken: false, limit: this.#adapt.concurrency });
    if (result.accepted.length > 0) this.#adapt.delivered();
    // Settled already (close deadline): the caller's history is final.
    if (job.settled) return;
    const deferred = job.recordResult(attempt, result, this.#rcptCode);
    this.#retry.retryRecipients(job, deferred, () =>
      job.accepted.length > 0
        ? this.#settle.deliver(job)
        : // createClient rejects such a transaction itself; a custom factory's client may resolve it.
          this.#settle.giveUp(job, allRecipientsRejected(result.rejected)),
    );
  }

  /** `seat`: the send's place among those handed to `slot`'s client (connection-slot.ts). */
  #onFailure(
    job: SendJob,
    slot: Slot,
    { attempt, reused, seat }: { attempt: Attempt; reused: boolean; seat: number },
    failure: SmtpError,
  ): void {
    job.sending = false;
    // Aborted by the close deadline: the client's outcome is exact (the dot written or not).
    const error =
      job.killed && failure.code === ErrorCodes.ABORTED ? closedError(failure.outcome, failure) : failure;
    if (!job.settled) {
      attempt.error = summarizeError(error);
      if (error.reply) attempt.reply = error.reply;
    }
    const refusals = error.rejectedRecipients;
    // The failure of a send handed over before this one ended the shared connection, and this one
    // was not sent: not its own failure (its envelope rode behind that dot, or it still waited in the
    // client). It goes again at once on a new connection, as after an idle drop, without spending an
    // attempt. (A send handed over later breaking it says nothing about this one's failure.)
    const behindBreak =
      slot.brokeAt !== undefined &&
      slot.brokeAt < seat &&
      error.outcome === 'not-sent' &&
      !(refusals && refusals.length > 0);
    const action = behindBreak ? 'reconnect' : failureAction(error, this.#s.profile, reused);
    // Counted before this connection goes: the server refused while all of these were open.
    if (action === 'reduce-connections') this.#adapt.tooManyConnections(this.#slots.alive);
    const broken = breaksConnection(error, action);
    this.#slots.release(slot, { broken, limit: this.#adapt.concurrency, seat });
    this.#applyAction(action, error.reply, error);
    if (job.settled) return;
    const refused = refusals ?? [];
    const allRefused = error.code === ErrorCodes.ALL_RECIPIENTS_REJECTED;
    if (refused.length > 0 && !allRefused) {
      // Refused for good (5xx) before the transaction failed otherwise: never sent to again.
      job.recordFinalRefusals(refused, this.#rcptCode);
      if (job.pending.length === 0) {
        this.#settle.giveUp(job, error);
        return;
      }
    }
    // A recipient refused at RCPT got nothing of this attempt, whatever became of the message.
    if (error.outcome === 'unknown') job.markMaybeDelivered(refused);
    if (refused.length > 0 && allRefused) {
      // Every recipient refused at RCPT: 5xx ones are final, 4xx ones may go again.
      const deferred = job.recordRefusals(refused, this.#rcptCode);
      this.#retry.retryRecipients(job, deferred, () => this.#settle.giveUp(job, error));
      return;
    }
    // A connection opened from now on: the others sharing or idling beside this one may be gone too.
    job.freshAfter = action === 'reconnect' ? this.#slots.opened : 0;
    const info: RetryErrorInfo = {
      outcome: error.outcome,
      // A connection that was gone before this message's commands mattered: nothing was sent.
      retryable: error.retryable || (action === 'reconnect' && error.outcome === 'not-sent'),
      code: error.code,
      action,
    };
    this.#retry.retry(job, info, causeOf(action), error.reply, () => this.#settle.giveUp(job, error));
  }

  /** The error code a recipient's refusal is reported with. */
  readonly #rcptCode = (reply: Reply) => classifyRecipientRefusal(reply, this.#s.profile).code;

  /** Back in the queue in its place, unless the pool is stopped for it or closing. */
  #requeue(job: SendJob): void {
    if (job.settled) return;
    // Aborted while between attempts (e.g. from a message-deferred listener): its abort event is past.
    if (job.callerAborted) {
      this.#settle.giveUp(job, abortedError(job.callerSignal?.reason));
      return;
    }
    const closing = this.#drain.closing;
    if (this.#gate.stopped && (closing || this.#gate.failsFast(job.quotaPolicy))) {
      this.#settle.giveUp(job, closing ? closedError('not-sent') : this.#gate.failure());
      return;
    }
    this.#queue.enqueue(job);
  }

  #applyAction(action: Action, reply: Reply | undefined, error: SmtpError | undefined): void {
    if (action === 'slow-down') this.#adapt.throttled();
    if (action === 'fix-credentials' && error) this.#stop('credentials', error);
    if (action === 'stop-sending') this.#stop('daily-quota', error ?? quotaError(reply));
  }

  /** Stops the pool: sends that would only meet the same refusal fail now (or wait, per policy). */
  #stop(reason: PoolStopReason, cause: SmtpError): void {
    if (!this.#gate.stop(reason, cause)) return;
    const type = reason === 'daily-quota' ? 'quota-stopped' : 'credentials-refused';
    this.#emit({ type, code: cause.code, reply: cause.reply });
    if (!this.#gate.stopped) return; // resume() from a listener of that event
    for (const job of this.#queue.notInFlight()) {
      if (this.#gate.failsFast(job.quotaPolicy)) this.#settle.giveUp(job, this.#gate.failure());
    }
  }

  #onCallerAbort(job: SendJob): void {
    if (job.state === 'queued' || job.state === 'waiting') {
      this.#settle.giveUp(job, abortedError(job.callerSignal?.reason));
      this.#pump();
    }
    // In flight: the rate limiter or the client sees the signal and fails the attempt.
  }

  #emit(event: PoolEvent): void {
    try {
      this.#s.onEvent?.(event);
    } catch {
      // A failing listener must not change delivery.
    }
  }
}

/** RCPT commands a request needs; 0 for a malformed `to` (SendJob.create reports that). */
function recipientCount(request: PoolSendRequest): number {
  const to = (request as Partial<PoolSendRequest> | null)?.to;
  if (typeof to === 'string') return 1;
  return Array.isArray(to) ? to.length : 0;
}
