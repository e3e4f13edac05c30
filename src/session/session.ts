/**
 * The Session facade (contracts.md): one SMTP connection's life over the session machine, run by
 * machine-runner.ts (xstate's transition function without an Actor). It feeds whole replies to the
 * machine (reply-intake), turns its effects into one write per flight, the transcript (transcript),
 * the one phase timer (phase-timer) and settlements (pending-sends): each send settles exactly once.
 * With `coalesceReplies`, positive replies that only begin a pipelined flight's wait (HOLD_MS at most
 * from the first, never behind another event) for the read that completes it.
 */
import type { Phase, SmtpError } from '../errors/smtp-error.js';
import type { Capabilities } from '../protocol/capabilities.js';
import { type Command, encodeCommand, encodeCommands } from '../protocol/command.js';
import type { Reply } from '../protocol/reply-types.js';
import { resolveConfig } from './config.js';
import { crashSettlements } from './crash.js';
import { aborted, asUsageError, clientClosed, sessionEnded } from './failures.js';
import { MachineRunner, type MachineSnapshot } from './machine-runner.js';
import { acceptsSend, type HandedSend, type MachineEffect, type SessionEvent } from './machine-types.js';
import { abortedBeforeSend, busy, PendingSends } from './pending-sends.js';
import { PhaseTimer } from './phase-timer.js';
import { AFTER_AUTH, passwordForms } from './redaction.js';
import {
  GROUP_ENDS,
  type GroupPlan,
  type GroupStart,
  groupPlanFor,
  planAcceptsSend,
  releasePlans,
  waitsForRest,
} from './reply-group.js';
import { ReplyIntake } from './reply-intake.js';
import { SendAhead } from './send-ahead.js';
import { PHASE_OF_STATE, sessionMachine } from './session-machine.js';
import { pipelines } from './transaction.js';
import { Transcript } from './transcript.js';
import type { SendRequest, SendResult, SessionEffect, SessionOptions, Settlement } from './types.js';
import { isValidatedRequest, validatedRequest, validateSendRequest, validateSignal } from './validation.js';

export { DEFAULT_TIMEOUTS } from './timeouts.js';
export type * from './types.js';

const INSPECT = Symbol.for('nodejs.util.inspect.custom');
const NONE: readonly string[] = Object.freeze([]);
/** How long replies that begin a flight wait for the rest (`coalesceReplies`): the shortest timer. */
const HOLD_MS = 1;
/**
 * How long replies wait for the rest of a cut line behind them that may still become a 421
 * (reply-intake.ts mayBecomeClosing): long enough for the next segment of a split read, short
 * enough that a server that never finishes the line does not hold a result for a phase's timeout.
 */
export const CLOSER_HOLD_MS = 500;

/** The states with a `replies.received` transition (reply-group.ts). */
const isGroupStart = (state: string): state is GroupStart => Object.hasOwn(GROUP_ENDS, state);

const settles = (plan: GroupPlan, id: number): boolean =>
  plan.effects.some((effect) => effect.type === 'settle' && effect.id === id);

/**
 * For createClient's connection only (not exported from the package): its session's flights may be
 * views of the shared encoding slab (command.ts), since that writer neither keeps, changes nor
 * transfers them. A Session's `write` effects otherwise own their bytes.
 */
export let shareWriteBuffers: (session: Session) => void;

export class Session {
  static {
    shareWriteBuffers = (session) => {
      session.#sharedWrites = true;
    };
  }
  #sharedWrites = false;
  readonly whenReady: Promise<void>;
  readonly #machine: MachineRunner;
  readonly #onEffect: (effect: SessionEffect) => void;
  readonly #onSendable: (() => void) | undefined;
  readonly #transcript: Transcript;
  /** What a server that has seen AUTH may echo (redaction.ts): scrubbed from later replies. */
  readonly #passwordForms: readonly string[];
  readonly #intake: ReplyIntake;
  readonly #pending = new PendingSends();
  readonly #timer: PhaseTimer;
  /** Runs out HOLD_MS after replies were held (`coalesceReplies`), to flush them; undefined without the option. */
  readonly #holdTimer: PhaseTimer | undefined;
  /** Runs out CLOSER_HOLD_MS after replies were held for a cut line that may become a 421. */
  readonly #closerTimer: PhaseTimer;
  #sendable = false;
  /** Nesting of #send: above 0 while the machine processes an event (effects run inside). */
  #depth = 0;
  /** A send handed over ahead of a read's replies, and what the owner did meanwhile (#offerGroup). */
  readonly #ahead = new SendAhead();
  /** Nesting of receive(). */
  #reading = 0;
  /**
   * Above 0 while the transcript sink sees replies the machine has not taken yet: what the owner
   * does from in there (quit, an abort, a send, a read it feeds) waits in #afterLog for them.
   */
  #logging = 0;
  #afterLog: (() => void)[] = [];
  /** Reads fed from the transcript sink while a read was being taken: taken after it (receive()). */
  readonly #readsAfter: Uint8Array[] = [];
  #quitWaiters: (() => void)[] = [];
  /** quit() or drop() was called: no send is taken any more, even before the machine has heard it. */
  #leaving = false;
  /** The setup phase quit() or drop() came in, before ready: what `whenReady` rejects with names it. */
  #leftIn: Phase | undefined;
  #readyReached = false;
  #ended = false;
  #endError: SmtpError | undefined;
  /** The body a `writeBody` effect handed over: none, inline (while its effect runs: it may only fail), or open (in blocks). */
  #body: 'none' | 'inline' | 'open' = 'none';
  #resolveReady!: () => void;
  #rejectReady!: (error: SmtpError) => void;

  constructor(options: SessionOptions, onEffect: (effect: SessionEffect) => void) {
    const config = resolveConfig(options);
    this.#transcript = new Transcript(options.onTranscript, config.credentials?.reveal());
    this.#passwordForms = config.credentials ? passwordForms(config.credentials.reveal()) : NONE;
    this.#intake = new ReplyIntake({
      listening: () => !this.#ended,
      phase: () => this.phase,
      reply: (reply, trailing, logged, closingBehind) => {
        // Servers may echo the user name while authenticating (threats.md §5).
        if (this.#transcript.enabled && !logged) this.#logReplies([reply], this.phase === 'auth');
        this.#send(
          closingBehind
            ? { type: 'reply.received', reply, trailing, closingBehind }
            : { type: 'reply.received', reply, trailing },
        );
        this.#runAfterLog();
      },
      group: (replies, trailing) => this.#offerGroup(replies, trailing),
      malformed: (error) => this.#send({ type: 'reply.malformed', error }),
      echoForms: () =>
        this.#passwordForms.length > 0 && AFTER_AUTH.has(this.phase) ? this.#passwordForms : NONE,
      canWait: (replies, trailing, alreadyHeld) => this.#canWait(replies, trailing, alreadyHeld),
      canWaitForCloser: (alreadyHeld) => this.#canWaitForCloser(alreadyHeld),
    });
    this.#onEffect = onEffect;
    this.#onSendable = options.onSendable;
    this.whenReady = new Promise<void>((resolve, reject) => {
      this.#resolveReady = resolve;
      this.#rejectReady = reject;
    });
    // Observed or not, a failed session must not surface as an unhandled rejection.
    this.whenReady.catch(() => {});
    this.#holdTimer = options.coalesceReplies
      ? new PhaseTimer(options.clock, () => this.#flushHeld())
      : undefined;
    this.#closerTimer = new PhaseTimer(options.clock, () => this.#flushHeld());
    this.#timer = new PhaseTimer(
      options.clock,
      () => {
        // Replies read before the timeout ran out are heard first; they may have left the state.
        this.#flushHeld();
        if (this.#timer.expired) this.#send({ type: 'timer.expired' });
      },
      // Busy: a step runs, a read is taken, or the owner acts ahead of a read (phase-timer.ts).
      () => this.#depth > 0 || this.#reading > 0 || this.#ahead.open,
    );
    this.#machine = new MachineRunner(sessionMachine, config, {
      onEmit: (effect) => this.#apply(effect),
      onStep: (snapshot) => {
        if (snapshot.value === 'ready' && !this.#readyReached) {
          this.#readyReached = true;
          this.#resolveReady();
        }
        this.#checkSendable();
      },
      onError: (error) => this.#crashed(error),
    });
    this.#machine.start();
  }

  // transport → session (facts)
  connected(): void {
    this.#send({ type: 'connection.opened' });
  }

  receive(bytes: Uint8Array): void {
    if (this.#ended || bytes.length === 0) return;
    if (this.#logging > 0) {
      const copy = bytes.slice();
      // Fed from the transcript sink: after the read being taken, all of it (its replies may still be
      // coming one by one), else after the replies being logged.
      if (this.#reading > 0) this.#readsAfter.push(copy);
      else this.#afterLog.push(() => this.receive(copy));
      return;
    }
    this.#reading++;
    try {
      // A read that comes while the owner's held events wait (a transport answering from inside the
      // step's effects): they were done first, so they go first.
      if (!this.#ahead.open) for (const event of this.#ahead.drainEvents()) this.#send(event);
      this.#intake.receive(bytes, this.#state === 'tlsHandshake');
      // A receive() from inside onSendable: its replies wait with the owner's other events.
      if (!this.#ahead.open) this.#afterRead();
    } finally {
      this.#reading--;
      // What waitsForRest planned for replies now held or taken one by one (no context kept here).
      releasePlans();
    }
    this.#timer.flushDue();
    this.#takeReadsAfter();
  }

  /** Reads the transcript sink fed in while a read was taken: now that it is, in the order fed. */
  #takeReadsAfter(): void {
    while (this.#reading === 0 && this.#readsAfter.length > 0) this.receive(this.#readsAfter.shift()!);
  }

  tlsEstablished(): void {
    if (this.#state === 'tlsHandshake') this.#intake.restart();
    this.#send({ type: 'tls.established' });
  }

  tlsFailed(error: unknown): void {
    this.#send({ type: 'tls.failed', error });
  }

  bodyProgress(): void {
    if (this.#bodyFact('open')) this.#send({ type: 'body.progress' });
  }

  /** A BDAT chunk of `size` octets of a streamed body is next (RFC 3030 §2): its command is written now. */
  bodyChunk(size: number, last: boolean): void {
    if (this.#bodyFact('open')) this.#send({ type: 'body.chunk', size, last });
  }

  bodyFinished(): void {
    if (!this.#bodyFact('open')) return;
    this.#body = 'none';
    this.#send({ type: 'body.finished' });
  }

  bodyFailed(error: SmtpError): void {
    if (!this.#bodyFact('any')) return;
    this.#body = 'none';
    this.#send({ type: 'body.failed', error });
  }

  /**
   * Whether a body fact answers a `writeBody` effect: one written in blocks (`open`), or, for
   * bodyFailed, also an inline one while its effect runs. Any other (after an inline body, twice,
   * after the end) is dropped: taken, it could finish or fail the next message's body for it.
   */
  #bodyFact(allowed: 'open' | 'any'): boolean {
    return !this.#ended && (this.#body === 'open' || (allowed === 'any' && this.#body === 'inline'));
  }

  closed(error?: unknown): void {
    // threats.md §6: what was received of a reply cut by the close goes into the error.
    const partial = this.#intake.unfinished();
    this.#send(
      partial === undefined
        ? { type: 'connection.closed', error }
        : { type: 'connection.closed', error, partial },
    );
  }

  // caller → session
  send(request: SendRequest, signal?: AbortSignal): Promise<SendResult> {
    // Replies held for the rest of their flight are heard first (`coalesceReplies`), as by any event.
    this.#flushHeld();
    if (this.#ended) return Promise.reject(sessionEnded(this.phase));
    if (!this.acceptsSend) return Promise.reject(busy(this.phase));
    let taken: SendRequest;
    try {
      // A plain request is checked, then copied and frozen: what the caller changes afterwards
      // cannot reach the wire unchecked (a held next is written long after send()).
      if (isValidatedRequest(request)) taken = request;
      else {
        validateSendRequest(request);
        taken = validatedRequest({ ...request, to: [...request.to] });
      }
      validateSignal(signal);
    } catch (error) {
      return Promise.reject(error);
    }
    if (signal?.aborted) return Promise.reject(abortedBeforeSend());
    return this.#pending.add(
      signal,
      (id) => this.#abort(id),
      (id) => {
        if (!this.#ahead.keep({ id, request: taken }))
          this.#send({ type: 'send.requested', id, request: taken });
      },
    );
  }

  quit(): Promise<void> {
    // Held replies first (`coalesceReplies`): quit() finds the session as if they had been taken.
    this.#flushHeld();
    if (this.#ended) return Promise.resolve();
    this.#leave();
    return new Promise<void>((resolve) => {
      this.#quitWaiters.push(resolve);
      this.#send({ type: 'quit.requested' });
    });
  }

  /**
   * The owner is dropping the connection (`destroy()`): the transaction or setup in progress ends
   * as SMTP_CLIENT_CLOSED with its exact outcome, and nothing more is written — not even QUIT, also
   * when this runs from a callback while a reply is being taken.
   */
  drop(): void {
    this.#flushHeld();
    if (this.#ended) return;
    this.#leave();
    this.#send({ type: 'drop.requested' });
  }

  #leave(): void {
    this.#leaving = true;
    if (!this.#readyReached) this.#leftIn ??= this.phase;
  }

  // observation
  get phase(): Phase {
    return PHASE_OF_STATE[this.#state] ?? 'closed';
  }

  /** The machine state (finer than `phase`, e.g. 'ehloAfterTls', 'failed'): for diagnostics and tests. */
  get state(): string {
    return this.#state;
  }

  get ready(): boolean {
    return this.#readyReached && !this.#ended;
  }

  get idle(): boolean {
    return this.#state === 'ready' && this.#pending.size === 0 && !this.#ended;
  }

  /**
   * Whether send() would be taken now: when idle, or (RFC 2920 §3.1) while one pipelined transaction
   * is in flight and no next one is held. A send the machine has not processed yet counts as held.
   */
  get acceptsSend(): boolean {
    if (this.#ended || this.#leaving) return false;
    const ahead = this.#ahead.accepts;
    if (ahead !== undefined) return ahead;
    const snapshot = this.#snapshot;
    const { tx, next } = snapshot.context;
    if (!this.#pending.allAmong(tx?.id, next?.id)) return false;
    return acceptsSend(String(snapshot.value), snapshot.context);
  }

  get ended(): boolean {
    return this.#ended;
  }

  /**
   * Why the session ended, when it did not end cleanly (QUIT answered, or `drop()`): the server's
   * refusal or 421, a timeout, the lost connection… — what a send still pending got. Undefined while
   * it runs.
   */
  get error(): SmtpError | undefined {
    return this.#endError;
  }

  /**
   * Whether a transaction started now would be pipelined (RFC 2920): ready, the last EHLO offered
   * PIPELINING and the `pipelining` option is not off. A pool may then give this connection a second
   * send while one is in flight.
   */
  get pipelines(): boolean {
    const { config, caps } = this.#snapshot.context;
    return this.ready && pipelines(config, caps);
  }

  get capabilities(): Capabilities {
    return this.#snapshot.context.caps;
  }

  get messagesSent(): number {
    return this.#snapshot.context.messagesSent;
  }

  toJSON(): Record<string, unknown> {
    return { phase: this.phase, ready: this.ready, ended: this.ended, messagesSent: this.messagesSent };
  }

  [INSPECT](): string {
    return `Session ${JSON.stringify(this.toJSON())}`;
  }

  get #state(): string {
    return String(this.#snapshot.value);
  }

  /**
   * The machine's snapshot. Once the runner stopped it (status 'error'), it is the one the failure
   * left: before the step whose action threw, or after the step whose effect could not be applied.
   */
  get #snapshot(): MachineSnapshot {
    return this.#machine.snapshot;
  }

  #send(event: SessionEvent): void {
    // Once the machine is done (or stopped by an error) it hears nothing more: the runner would only
    // warn that an event came after it stopped (machine-runner.ts), burying the warnings that matter.
    if (this.#ended || this.#machine.snapshot.status !== 'active') return;
    this.#flushHeld();
    // The held replies may have ended it (a 421 among them): this event then comes too late.
    if (this.#ended || this.#machine.snapshot.status !== 'active') return;
    if (this.#logging > 0) {
      this.#afterLog.push(() => this.#send(event));
      return;
    }
    // The owner acts from inside onSendable before the read's replies are taken: after them, in order.
    if (this.#ahead.hold(event)) return;
    this.#depth++;
    try {
      this.#machine.send(event);
    } finally {
      this.#depth--;
    }
    this.#timer.flushDue();
  }

  /**
   * `coalesceReplies`: whether a read's replies (with any held before) may wait for the rest of their
   * flight — the machine's plan takes them all, positive in turn, and they write nothing: the 354
   * that sends the body (always a flight's last reply) has not come (reply-group.ts waitsForRest).
   * They wait for the next read, for any other event (#send flushes them first), or HOLD_MS from the
   * first of them: a read that adds to them (a reply, or bytes of one) does not restart the count.
   */
  #canWait(replies: readonly Reply[], trailing: boolean, alreadyHeld: boolean): boolean {
    if (this.#holdTimer === undefined || this.#depth > 0 || this.#ahead.open) return false;
    const state = this.#state;
    if (!isGroupStart(state) || !waitsForRest(state, this.#machine.snapshot.context, replies, trailing))
      return false;
    return this.#hold(this.#holdTimer, HOLD_MS, alreadyHeld);
  }

  /** See CLOSER_HOLD_MS: armed once per hold (a read that adds to the cut line does not restart it). */
  #canWaitForCloser(alreadyHeld: boolean): boolean {
    if (this.#depth > 0 || this.#ahead.open) return false;
    // A flight hold's deadline still armed (its replies went with a later read) must not cut this one short.
    if (!alreadyHeld) this.#holdTimer?.disarm();
    return this.#hold(this.#closerTimer, CLOSER_HOLD_MS, alreadyHeld);
  }

  /** A hold's deadline: `ms` from its first read (a read that adds to it keeps it); false if the clock throws. */
  #hold(timer: PhaseTimer, ms: number, alreadyHeld: boolean): boolean {
    if (alreadyHeld) return true;
    try {
      timer.arm(ms);
    } catch {
      return false; // an injected clock that throws: the replies are taken now
    }
    return true;
  }

  /** Held replies go to the machine now, as the read they came in would have (receive()). */
  #flushHeld(): void {
    if (this.#depth > 0 || this.#ended || !this.#intake.holding) return;
    this.#reading++;
    try {
      this.#intake.flush();
      if (!this.#ahead.open) this.#afterRead();
    } finally {
      this.#reading--;
    }
    this.#timer.flushDue();
    this.#takeReadsAfter();
  }

  /**
   * A read's replies as one machine step (reply-group.ts), when the machine's own plan takes them:
   * they are logged, then sent as one event (whose guard finds the same plan, cached on the event).
   * When that step leaves the session able to take a send, the owner's onSendable runs first and a
   * send it hands over rides in the same step (one machine step per steady pipelined message).
   * Not offered while the machine is processing (a receive() from inside an effect): the runner would
   * only queue the event, and the snapshot read here would be stale.
   */
  #offerGroup(replies: readonly Reply[], trailing: boolean): 'taken' | 'declined' | 'not-offered' {
    const state = this.#state;
    if (this.#depth > 0 || this.#ahead.open || !isGroupStart(state)) return 'not-offered';
    const plain = { type: 'replies.received', replies, trailing } as const;
    try {
      const plan = groupPlanFor(plain, state, this.#machine.snapshot.context);
      if (plan === undefined) return 'not-offered';
      if (this.#transcript.enabled) this.#logReplies(replies, false);
      // Whatever else the owner does in there reaches the machine after these replies (SendAhead).
      const send = this.#handOverAhead(plan);
      // Taken when this step moves the machine (what the transcript sink and the owner did
      // meanwhile waits: #afterLog, SendAhead).
      const before = this.#machine.snapshot;
      this.#send(send === undefined ? plain : { type: 'replies.received', replies, trailing, send });
      if (this.#machine.snapshot !== before) {
        this.#runAfterLog();
        return 'taken';
      }
      // A safety net, unreachable while the facade and the guard share one plan (a send is handed
      // over only when planSend takes it): the replies go one by one, already logged, then the send.
      if (send !== undefined) this.#ahead.putBack(send);
      return 'declined';
    } finally {
      releasePlans();
    }
  }

  /**
   * When `plan` makes the session able to take a send (and the owner is not already told so), asks
   * the owner now: what it hands over is held by the plan's step instead of an event of its own.
   */
  #handOverAhead(plan: GroupPlan): HandedSend | undefined {
    if (this.#onSendable === undefined || this.#sendable || !planAcceptsSend(plan)) return undefined;
    // Every send still pending after the step is its transaction or the next one.
    if (!this.#pending.every((id) => id === plan.tx?.id || id === plan.next?.id || settles(plan, id)))
      return undefined;
    this.#sendable = true;
    return this.#ahead.run(this.#onSendable);
  }

  /**
   * After a read: what the owner did meanwhile (held events), after a send handed over for a step
   * that was not taken (the safety net in #offerGroup), which goes as its own event or, should the
   * replies have left the machine unable to hold it, is refused as busy rather than left unsettled.
   */
  #afterRead(): void {
    const { send, events } = this.#ahead.drain();
    if (send !== undefined) {
      const { value, context } = this.#snapshot;
      if (this.#ended || acceptsSend(String(value), context)) this.#send({ type: 'send.requested', ...send });
      else this.#settle(send.id, { ok: false, error: busy(this.phase) });
    }
    for (const event of events) this.#send(event);
  }

  /** Logs replies the machine has not taken yet; what the sink makes the session do waits for them. */
  #logReplies(replies: readonly Reply[], auth: boolean): void {
    this.#logging++;
    try {
      const sent = auth ? this.#snapshot.context.auth?.sent : undefined;
      for (const reply of replies) this.#transcript.reply(reply, auth, sent);
    } finally {
      this.#logging--;
    }
  }

  /** Once the logged replies are taken: what the transcript sink did meanwhile, in order. */
  #runAfterLog(): void {
    if (this.#logging > 0 || this.#afterLog.length === 0) return;
    for (const run of this.#afterLog.splice(0)) run();
  }

  /** An abort of a send the machine has not been handed yet settles it here; any other goes to the machine. */
  #abort(id: number): void {
    if (this.#ahead.drop(id)) this.#settle(id, { ok: false, error: aborted('ready', 'not-sent') });
    else this.#send({ type: 'send.aborted', id });
  }

  /**
   * An action threw, or an effect could not be applied, and the runner stopped the machine; or the
   * clock threw while a step armed the timer: no final state will end the session (crash.ts).
   */
  #crashed(cause: unknown): void {
    if (this.#ended) return;
    const crash = crashSettlements(this.#snapshot.context, this.phase, cause);
    this.#emit({ type: 'close' });
    if (crash.mayBeDelivered !== undefined)
      this.#settle(crash.mayBeDelivered, { ok: false, error: crash.unknown });
    this.#end(crash.ended); // every other pending send: not sent
  }

  #apply(effect: MachineEffect): void {
    // After a crash inside a step, the rest of that step's effects must not reach the transport.
    if (this.#ended) return;
    switch (effect.type) {
      case 'write':
        this.#write(effect.commands, false);
        break;
      case 'writeSecret':
        this.#write([effect.command.reveal()], true);
        break;
      case 'upgradeTls':
        this.#intake.restart();
        this.#emit({ type: 'upgradeTls' });
        break;
      case 'writeBody':
        // The machine's effect has exactly the transport's fields. An inline body is written inside
        // the effect (it may only fail); one in blocks is the transport's until bodyFinished() or
        // bodyFailed().
        this.#body = effect.inline ? 'inline' : 'open';
        this.#emit(effect);
        if (effect.inline && this.#body === 'inline') this.#body = 'none';
        break;
      case 'writeLoneDot': {
        // A fresh copy each time: the transport owns what it is handed.
        const bytes = Uint8Array.of(0x2e, 0x0d, 0x0a); // ".\r\n": an empty message's end (RFC 5321 §4.1.1.4)
        if (this.#transcript.enabled) this.#transcript.commands([bytes], false);
        this.#emit({ type: 'write', bytes });
        break;
      }
      case 'close':
        this.#emit(effect);
        break;
      case 'armTimer':
      case 'disarmTimer':
        try {
          if (effect.type === 'armTimer') this.#timer.arm(effect.ms);
          else this.#timer.disarm();
        } catch (error) {
          // An injected clock that throws: the session cannot keep its timeouts, so it ends here.
          this.#crashed(error);
        }
        break;
      case 'settle':
        this.#settle(effect.id, effect.settlement);
        break;
      case 'sessionEnded':
        this.#end(effect.error);
        break;
    }
  }

  #write(commands: readonly Command[], secret: boolean): void {
    let bytes: Uint8Array;
    try {
      // One flight, one buffer (RFC 2920 §3.1), through the one command encoder (throws before any byte).
      bytes = encodeCommands(commands, this.#sharedWrites && !secret);
      // Logged line by line only when a transcript is kept (encodeCommands is the same octets joined).
      if (this.#transcript.enabled) this.#transcript.commands(commands.map(encodeCommand), secret);
    } catch (error) {
      // Nothing was written; the machine ends the session with the encoder's usage error.
      this.#send({ type: 'command.refused', error: asUsageError(error) });
      return;
    }
    this.#emit({ type: 'write', bytes });
  }

  #emit(effect: SessionEffect): void {
    try {
      this.#onEffect(effect);
    } catch (error) {
      // A transport that throws has lost its socket; the machine hears it as a close.
      this.#send({ type: 'connection.closed', error });
    }
  }

  #settle(id: number, settlement: Settlement): void {
    if (this.#pending.settle(id, settlement)) this.#checkSendable();
  }

  /** Tells the owner, synchronously, each time the session starts to accept a send. */
  #checkSendable(): void {
    const now = this.acceptsSend;
    if (now === this.#sendable) return;
    this.#sendable = now;
    if (!now || this.#onSendable === undefined) return;
    try {
      this.#onSendable();
    } catch {
      // The owner's failure must not change the session.
    }
  }

  #end(error: SmtpError | undefined): void {
    this.#ended = true;
    this.#endError = error;
    try {
      this.#holdTimer?.disarm();
      this.#closerTimer.disarm();
      this.#timer.disarm();
    } catch {
      // An injected clock that throws: the session ends all the same (a late expiry is not heard).
    }
    this.#ahead.clear();
    for (const id of this.#pending.ids())
      this.#settle(id, { ok: false, error: error ?? sessionEnded('closed') });
    // Left by quit() or drop() during the setup: the caller's doing, as for a send in progress.
    this.#rejectReady(
      error ??
        (this.#leftIn === undefined ? sessionEnded(this.phase) : clientClosed(this.#leftIn, 'not-sent')),
    );
    for (const resolve of this.#quitWaiters.splice(0)) resolve();
  }
}
