/**
 * The vocabulary of the session machine (RFC 5321 §3.3, §4.2): its configuration, context, the
 * events it hears (facts) and the effects it emits (imperatives). Guards, actions and the table use it.
 */
import type { ProviderProfile } from '../errors/classify.js';
import type { SmtpError } from '../errors/smtp-error.js';
import type { Capabilities } from '../protocol/capabilities.js';
import type { Command } from '../protocol/command.js';
import type { Reply } from '../protocol/reply-types.js';
import type { AuthExchange, Credentials, HmacMd5 } from './sasl.js';
import type { Secret } from './secret.js';
import type { Timeouts } from './timeouts.js';
import { messageLimit, type Transaction } from './transaction.js';
import type { BodyTransfer, Security, SendRequest, Settlement } from './types.js';

/** Options after defaults and validation (the facade builds this). */
export interface SessionConfig {
  readonly clientName: string;
  readonly security: Security;
  readonly credentials: Secret<Credentials> | undefined;
  readonly maxMessageSize: number;
  readonly timeouts: Timeouts;
  readonly pipelining: boolean;
  /** Use BDAT (RFC 3030 CHUNKING) when offered. */
  readonly chunking: boolean;
  readonly allowAuthWithoutTls: boolean;
  readonly profile: ProviderProfile;
  readonly hmacMd5: HmacMd5 | undefined;
}

export interface SessionContext {
  readonly config: SessionConfig;
  readonly tls: boolean;
  /** What the last EHLO said; NO_CAPABILITIES before it, after HELO and right after TLS (RFC 3207 §4.2). */
  readonly caps: Capabilities;
  readonly auth: AuthExchange | undefined;
  /** The transaction whose replies come next. */
  readonly tx: Transaction | undefined;
  /** The next transaction, accepted while `tx` is in flight (PIPELINING, RFC 2920 §3.1). */
  readonly next: Transaction | undefined;
  /** Why the session ended, when it did not end cleanly. */
  readonly error: SmtpError | undefined;
  readonly messagesSent: number;
  /** A refusal ended the session in step and QUIT was written (RFC 5321 §4.1.1.10): the close says so. */
  readonly quitWritten: boolean;
}

/** A send as the caller hands it over: its id (for settlement and aborts) and the validated request. */
export interface HandedSend {
  readonly id: number;
  readonly request: SendRequest;
}

/**
 * Facts reported to the machine. `trailing`: more bytes came in the same read after this reply;
 * `closingBehind`: they are one whole 421 and nothing else (the server closing, RFC 5321 §3.8).
 */
export type SessionEvent =
  | { type: 'connection.opened' }
  | { type: 'reply.received'; reply: Reply; trailing: boolean; closingBehind?: true }
  /**
   * All replies of one read, offered whole to a pipelined transaction (reply-group.ts); `send`: the
   * next send, handed over for the moment the last reply leaves the session able to hold it.
   */
  | { type: 'replies.received'; replies: readonly Reply[]; trailing: boolean; send?: HandedSend }
  | { type: 'reply.malformed'; error: SmtpError }
  | { type: 'tls.established' }
  | { type: 'tls.failed'; error: unknown }
  | { type: 'body.progress' }
  /** A BDAT chunk of a streamed body is about to be written (RFC 3030 §2). */
  | { type: 'body.chunk'; size: number; last: boolean }
  | { type: 'body.finished' }
  | { type: 'body.failed'; error: SmtpError }
  /** `partial`: raw text of a reply the close cut short (quoted in the error, but never while authenticating). */
  | { type: 'connection.closed'; error: unknown; partial?: string }
  | ({ type: 'send.requested' } & HandedSend)
  | { type: 'send.aborted'; id: number }
  | { type: 'quit.requested' }
  /** The owner drops the connection (`destroy()`): what is in progress ends as CLIENT_CLOSED, nothing is written. */
  | { type: 'drop.requested' }
  | { type: 'command.refused'; error: SmtpError }
  /** The timer the current state armed on entry ran out (RFC 5321 §4.5.3.2; the facade runs it: phase-timer.ts). */
  | { type: 'timer.expired' };

/** The RFC 5321 §4.5.3.2 timers a waiting state arms: every Timeouts entry but the transport's connect. */
export type TimerName = Exclude<keyof Timeouts, 'connect'>;

/** Imperatives the machine emits; the facade turns `write`/`writeSecret` into bytes (one write per flight). */
export type MachineEffect =
  | { type: 'write'; commands: readonly Command[] }
  | { type: 'writeSecret'; command: Secret<Command> }
  | { type: 'upgradeTls' }
  | {
      type: 'writeBody';
      body: unknown;
      maxSize: number;
      allow8bit: boolean;
      transfer: BodyTransfer;
      /** BDAT of a known size: the n of the `BDAT n LAST` written just before (SessionEffect's field). */
      announcedOctets?: number;
      /** Write it all now, in this flight; the machine already counts it as written (see bodyInline). */
      inline: boolean;
    }
  /** RFC 2920 §3.1: the single dot that ends an empty message (a 354 after a refused envelope). */
  | { type: 'writeLoneDot' }
  | { type: 'close'; afterQuit?: true }
  /** (Re)start the one session timer: `ms` from now, unless another arm or a disarm comes first. */
  | { type: 'armTimer'; timer: TimerName; ms: number }
  | { type: 'disarmTimer' }
  | { type: 'settle'; id: number; settlement: Settlement }
  | { type: 'sessionEnded'; error: SmtpError | undefined };

/** The states in which a transaction is in flight. */
export const TRANSACTION_STATES: ReadonlySet<string> = new Set([
  'mail',
  'rcpt',
  'data',
  'body',
  'dataEnd',
  'bdat',
  'loneDot',
  'bdatEnd',
  'rset',
]);

/**
 * Whether the session can take a send now: when ready, or (RFC 2920 §3.1) while a pipelined
 * transaction is in flight and no next one is held yet.
 */
export function acceptsSend(state: string, context: Pick<SessionContext, 'tx' | 'next'>): boolean {
  if (state === 'ready') return true;
  return TRANSACTION_STATES.has(state) && context.tx?.pipelined === true && context.next === undefined;
}

/** The effect that writes `tx`'s body: limited by our size and the server's SIZE, 8-bit as offered. */
export const writeBodyEffect = (
  context: SessionContext,
  tx: Transaction,
  inline: boolean,
): MachineEffect => ({
  type: 'writeBody',
  body: tx.request.body,
  maxSize: messageLimit(context.config.maxMessageSize, context.caps),
  // BINARYMIME (RFC 3030 §3) declares 8-bit octets and more.
  allow8bit: context.caps.eightBitMime || tx.request.binary === true,
  transfer: tx.transfer,
  ...(tx.transfer === 'bdat' && tx.request.unstuffedSize !== undefined
    ? { announcedOctets: tx.request.unstuffedSize }
    : {}),
  inline,
});
