/**
 * The Session facade (contracts.md): one SMTP connection's life over the session machine. It owns the
 * reply parser (RFC 5321 §4.2), encodes the machine's commands (RFC 5321 §4.1.1) into one write per
 * flight, keeps the transcript (redacted while authenticating) and settles each send exactly once.
 */
import { type Actor, createActor, type SnapshotFrom } from 'xstate';
import { ErrorCodes } from '../errors/codes.js';
import { type Phase, type SmtpError, SmtpUsageError } from '../errors/smtp-error.js';
import type { Capabilities } from '../protocol/capabilities.js';
import { type Command, encodeCommand } from '../protocol/command.js';
import { ReplyParser } from '../protocol/reply-parser.js';
import type { Reply } from '../protocol/reply-types.js';
import { resolveConfig } from './config.js';
import { asProtocolError, asUsageError, injection, internalFailure, sessionEnded } from './failures.js';
import { acceptsSend, type MachineEffect, type SessionEvent } from './machine-types.js';
import { credentialForms, scrubText } from './redaction.js';
import { REDACTED } from './secret.js';
import { PHASE_OF_STATE, sessionMachine } from './session-machine.js';
import type {
  SendRequest,
  SendResult,
  SessionEffect,
  SessionOptions,
  Settlement,
  TranscriptEntry,
} from './types.js';
import { isValidatedRequest, validateSendRequest } from './validation.js';

export { DEFAULT_TIMEOUTS } from './timeouts.js';
export type * from './types.js';

const INSPECT = Symbol.for('nodejs.util.inspect.custom');
const decoder = new TextDecoder();

type MachineSnapshot = SnapshotFrom<typeof sessionMachine>;

interface PendingSend {
  resolve(result: SendResult): void;
  reject(error: SmtpError): void;
  cleanup(): void;
}

export class Session {
  readonly whenReady: Promise<void>;
  readonly #actor: Actor<typeof sessionMachine>;
  /** The last snapshot with a context: what the getters read once an action threw (see #crashed). */
  #lastGood!: MachineSnapshot;
  readonly #onEffect: (effect: SessionEffect) => void;
  readonly #onTranscript: ((entry: TranscriptEntry) => void) | undefined;
  /** Credential forms scrubbed from server lines while authenticating. */
  readonly #echoForms: readonly string[];
  readonly #onSendable: (() => void) | undefined;
  #parser = new ReplyParser();
  /** Sends not yet settled, by id: at most the transaction in flight and the next one. */
  readonly #pending = new Map<number, PendingSend>();
  #lastId = 0;
  #sendable = false;
  #quitWaiters: (() => void)[] = [];
  #readyReached = false;
  #ended = false;
  #resolveReady!: () => void;
  #rejectReady!: (error: SmtpError) => void;

  constructor(options: SessionOptions, onEffect: (effect: SessionEffect) => void) {
    const config = resolveConfig(options);
    this.#echoForms = config.credentials ? credentialForms(config.credentials.reveal()) : [];
    this.#onEffect = onEffect;
    this.#onTranscript = options.onTranscript;
    this.#onSendable = options.onSendable;
    this.whenReady = new Promise<void>((resolve, reject) => {
      this.#resolveReady = resolve;
      this.#rejectReady = reject;
    });
    // Observed or not, a failed session must not surface as an unhandled rejection.
    this.whenReady.catch(() => {});
    this.#actor = createActor(sessionMachine, {
      input: config,
      ...(options.clock ? { clock: options.clock } : {}),
    });
    this.#actor.on('*', (effect) => this.#apply(effect));
    this.#lastGood = this.#actor.getSnapshot();
    this.#actor.subscribe({
      next: (snapshot) => {
        if (snapshot.value === 'ready' && !this.#readyReached) {
          this.#readyReached = true;
          this.#resolveReady();
        }
        this.#checkSendable();
      },
      error: (error) => this.#crashed(error),
    });
    this.#actor.start();
  }

  // transport → session (facts)
  connected(): void {
    this.#send({ type: 'connection.opened' });
  }

  receive(bytes: Uint8Array): void {
    if (this.#ended || bytes.length === 0) return;
    // threats.md §1: between the 220 to STARTTLS and the handshake a benign server sends nothing.
    if (this.#state === 'tlsHandshake') {
      this.#send({ type: 'reply.malformed', error: injection() });
      return;
    }
    const parser = this.#parser;
    let replies: Reply[];
    try {
      replies = parser.push(bytes);
    } catch (error) {
      this.#send({ type: 'reply.malformed', error: asProtocolError(error, this.phase) });
      return;
    }
    // One event per reply, each logged right before its effects. (One event for a whole read, whose
    // action raised one per reply, measured slower: xstate's raise costs more than a macrostep.)
    const last = replies.length - 1;
    for (let index = 0; index <= last; index++) {
      if (this.#ended || this.#parser !== parser) return;
      const reply = replies[index]!;
      if (this.#onTranscript !== undefined) this.#logReply(reply);
      this.#send({ type: 'reply.received', reply, trailing: index < last || parser.bufferedBytes > 0 });
    }
  }

  #logReply(reply: Reply): void {
    const text = replyLines(reply);
    // Servers may echo the user name while authenticating (threats.md §5).
    const shown = this.phase === 'auth' ? scrubText(text, this.#echoForms) : text;
    this.#transcript({ direction: 'server', text: shown, redacted: shown !== text });
  }

  tlsEstablished(): void {
    if (this.#state === 'tlsHandshake') this.#parser = new ReplyParser();
    this.#send({ type: 'tls.established' });
  }

  tlsFailed(error: unknown): void {
    this.#send({ type: 'tls.failed', error });
  }

  bodyProgress(): void {
    this.#send({ type: 'body.progress' });
  }

  /** A BDAT chunk of `size` octets of a streamed body is next (RFC 3030 §2): its command is written now. */
  bodyChunk(size: number, last: boolean): void {
    this.#send({ type: 'body.chunk', size, last });
  }

  bodyFinished(): void {
    this.#send({ type: 'body.finished' });
  }

  bodyFailed(error: SmtpError): void {
    this.#send({ type: 'body.failed', error });
  }

  closed(error?: unknown): void {
    this.#send({ type: 'connection.closed', error });
  }

  // caller → session
  send(request: SendRequest, signal?: AbortSignal): Promise<SendResult> {
    if (this.#ended) return Promise.reject(sessionEnded(this.phase));
    if (!this.acceptsSend) {
      return Promise.reject(
        new SmtpUsageError({
          code: ErrorCodes.SESSION_BUSY,
          field: 'session',
          message:
            'session: send() needs a session that accepts a send (ready, or one pipelined transaction in flight)',
          phase: this.phase,
        }),
      );
    }
    try {
      if (!isValidatedRequest(request)) validateSendRequest(request);
    } catch (error) {
      return Promise.reject(error);
    }
    if (signal?.aborted) {
      return Promise.reject(
        new SmtpUsageError({
          code: ErrorCodes.ABORTED,
          field: 'signal',
          message: 'signal: aborted before sending',
        }),
      );
    }
    const id = ++this.#lastId;
    return new Promise<SendResult>((resolve, reject) => {
      const onAbort = () => this.#send({ type: 'send.aborted', id });
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#pending.set(id, {
        resolve,
        reject,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
      });
      this.#send({ type: 'send.requested', id, request });
    });
  }

  quit(): Promise<void> {
    if (this.#ended) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.#quitWaiters.push(resolve);
      this.#send({ type: 'quit.requested' });
    });
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
    if (this.#ended) return false;
    const snapshot = this.#snapshot;
    const { tx, next } = snapshot.context;
    for (const id of this.#pending.keys()) if (id !== tx?.id && id !== next?.id) return false;
    return acceptsSend(String(snapshot.value), snapshot.context);
  }

  get ended(): boolean {
    return this.#ended;
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

  /** The machine's snapshot; after an action threw, the last one that had a context. */
  get #snapshot(): MachineSnapshot {
    const snapshot = this.#actor.getSnapshot();
    if (snapshot.status !== 'error' && snapshot.context !== undefined) this.#lastGood = snapshot;
    return this.#lastGood;
  }

  #send(event: SessionEvent): void {
    // Once the machine is done (or stopped by an error) it hears nothing more: xstate would only
    // warn "sent to stopped actor", burying the warnings that matter.
    if (this.#ended || this.#actor.getSnapshot().status !== 'active') return;
    this.#actor.send(event);
  }

  /**
   * An action threw (actions must not; an injected clock may) and xstate stopped the machine: end
   * the session here, since no final state will. Sends not known to be body-less on the wire are 'unknown'.
   */
  #crashed(cause: unknown): void {
    if (this.#ended) return;
    const { value, context } = this.#lastGood;
    const { tx, next } = context;
    const notSent = new Set<number>();
    // Only the envelope is out in mail/rcpt (unless a BDAT chunk rides with it); a held next has no body out.
    if ((value === 'mail' || value === 'rcpt') && tx !== undefined && tx.chunks === 0) notSent.add(tx.id);
    if (next !== undefined) notSent.add(next.id);
    this.#emit({ type: 'close' });
    const unknown = internalFailure(cause, this.phase, 'unknown');
    for (const id of [...this.#pending.keys()])
      if (!notSent.has(id)) this.#settle(id, { ok: false, error: unknown });
    this.#end(internalFailure(cause, this.phase, 'not-sent'));
  }

  #apply(effect: MachineEffect): void {
    switch (effect.type) {
      case 'write':
        this.#write(effect.commands, false);
        break;
      case 'writeSecret':
        this.#write([effect.command.reveal()], true);
        break;
      case 'upgradeTls':
        // A fresh parser: nothing read before the handshake may be taken as a post-TLS reply.
        this.#parser = new ReplyParser();
        this.#emit({ type: 'upgradeTls' });
        break;
      case 'writeBody':
        // The machine's effect has exactly the transport's fields.
        this.#emit(effect);
        break;
      case 'close':
        this.#emit({ type: 'close' });
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
    const lines: Uint8Array[] = [];
    try {
      for (const command of commands) lines.push(encodeCommand(command));
    } catch (error) {
      // Nothing was written; the machine ends the session with the encoder's usage error.
      this.#send({ type: 'command.refused', error: asUsageError(error) });
      return;
    }
    if (this.#onTranscript !== undefined) {
      for (const line of lines) {
        const text = secret ? REDACTED : decoder.decode(line.subarray(0, line.length - 2));
        this.#transcript({ direction: 'client', text, redacted: secret });
      }
    }
    this.#emit({ type: 'write', bytes: concat(lines) });
  }

  #emit(effect: SessionEffect): void {
    try {
      this.#onEffect(effect);
    } catch (error) {
      // A transport that throws has lost its socket; the machine hears it as a close.
      this.#send({ type: 'connection.closed', error });
    }
  }

  #transcript(entry: TranscriptEntry): void {
    try {
      this.#onTranscript?.(entry);
    } catch {
      // A failing logger must not change the session.
    }
  }

  #settle(id: number, settlement: Settlement): void {
    const pending = this.#pending.get(id);
    if (pending === undefined) return;
    this.#pending.delete(id);
    pending.cleanup();
    if (settlement.ok) pending.resolve(settlement.result);
    else pending.reject(settlement.error);
    this.#checkSendable();
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
    for (const id of [...this.#pending.keys()]) {
      this.#settle(id, { ok: false, error: error ?? sessionEnded('closed') });
    }
    this.#rejectReady(error ?? sessionEnded(this.phase));
    for (const resolve of this.#quitWaiters.splice(0)) resolve();
  }
}

function replyLines(reply: Reply): string {
  const last = reply.lines.length - 1;
  return reply.lines.map((line, index) => `${reply.code}${index < last ? '-' : ' '}${line}`).join('\n');
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
