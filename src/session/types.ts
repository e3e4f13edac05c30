/**
 * Public types of the session layer (contracts.md "src/session/session.ts"): what a caller sends,
 * what a send resolves to, what the facade asks the transport to do, and the transcript.
 */

import type { ProviderProfile } from '../errors/classify.js';
import type { RecipientRefusal, SmtpError } from '../errors/smtp-error.js';
import type { Reply } from '../protocol/reply-types.js';
import type { Credentials, HmacMd5 } from './sasl.js';
import type { TimeoutOverrides } from './timeouts.js';

export type { Credentials, HmacMd5, Mechanism } from './sasl.js';
export type { TimeoutOverrides, Timeouts } from './timeouts.js';

/** 'implicit': TLS is up before connected(); 'starttls': RFC 3207, required; 'starttls-opportunistic': when offered. */
export type Security = 'implicit' | 'starttls' | 'starttls-opportunistic' | 'none';

/**
 * The clock the session's timer runs on (phase-timer.ts): Node's timers by default. xstate's Clock
 * interface, so its SimulatedClock drives the timeouts in tests.
 */
export interface Clock {
  setTimeout(fn: (...args: unknown[]) => void, ms: number): unknown;
  clearTimeout(id: unknown): void;
}

export interface TranscriptEntry {
  readonly direction: 'client' | 'server';
  readonly text: string;
  readonly redacted: boolean;
}

export interface SessionOptions {
  readonly clientName: string;
  readonly security: Security;
  readonly auth?: Credentials | undefined;
  readonly maxMessageSize?: number | undefined;
  readonly timeouts?: TimeoutOverrides | undefined;
  readonly pipelining?: boolean | undefined;
  /**
   * Use BDAT (RFC 3030 CHUNKING) when the server offers it. Default false for a Session (`createClient`
   * turns it on): with it, `writeBody` may say `transfer: 'bdat'`, and the transport must then write the
   * body unstuffed and unterminated, in one `BDAT n LAST` (`announcedOctets`) or announcing each chunk
   * of a stream with `bodyChunk()` (README, "Driving the machine yourself").
   */
  readonly chunking?: boolean | undefined;
  readonly dangerouslyAllowAuthWithoutTls?: boolean | undefined;
  readonly profile?: ProviderProfile | undefined;
  readonly hmacMd5?: HmacMd5 | undefined;
  readonly clock?: Clock | undefined;
  /**
   * Let positive replies that begin a pipelined flight's (RFC 2920) wait for the rest, so that the
   * machine takes the flight in one step (default false; `createClient` sets it). A read that is
   * only the dot's 250 and the next envelope's MAIL/RCPT replies, all positive, is then held until
   * the read that brings the 354, for at most 1 ms on the clock from the first reply held (later
   * reads do not extend it), and never behind any other event: a close, a timeout, a send, quit(),
   * drop() or an abort hears the held replies first. Meanwhile `state`, `messagesSent`, `idle`,
   * `acceptsSend`, `onSendable` and the earlier send's settlement are as before that read. A
   * refusal, a 421, the 354 itself or anything unexpected is taken at once.
   */
  readonly coalesceReplies?: boolean | undefined;
  readonly onTranscript?: ((entry: TranscriptEntry) => void) | undefined;
  /**
   * Called synchronously whenever the session becomes able to take another send (`acceptsSend`
   * turned true): when ready, or while a pipelined transaction is in flight (RFC 2920 §3.1). The
   * callee may call send() from inside; a next message handed over in time rides behind the dot.
   * It is also called just before the replies of one read are taken in one step that makes room
   * for a send (`acceptsSend` is already true then): one send() from inside is carried by that
   * step (a further one is refused as busy, as at any time a next is held). During that call the
   * read is not applied yet (`state`, `messagesSent` and the earlier send's settlement are as
   * before it), and anything else the callee does to the session (quit(), an abort, closed(),
   * receive()) takes effect right after that read's replies, in the order it was done; a send()
   * after any of those is refused as busy (it could not ride ahead of them).
   */
  readonly onSendable?: (() => void) | undefined;
}

export interface SendRequest {
  readonly from: string;
  readonly to: readonly string[];
  readonly size?: number | undefined;
  readonly eightBit?: boolean | undefined;
  /** Octets of the body as BDAT sends it (CRLF-normalised unless `binary`, not dot-stuffed, no terminator), when known up front. */
  readonly unstuffedSize?: number | undefined;
  /**
   * The body's octets go unchanged, as BODY=BINARYMIME over BDAT (RFC 3030 §3): no line-ending
   * normalisation, NULs and long lines allowed. Needs CHUNKING and BINARYMIME (checked before MAIL)
   * and `unstuffedSize` (the octet count).
   */
  readonly binary?: boolean | undefined;
  readonly body: unknown;
}

/** How the body travels: DATA (dot-stuffed, terminated, RFC 5321 §4.5.2) or BDAT chunks (RFC 3030 §2). */
export type BodyTransfer = 'data' | 'bdat';

export type { RecipientRefusal } from '../errors/smtp-error.js';

export interface SendResult {
  readonly accepted: readonly string[];
  readonly rejected: readonly RecipientRefusal[];
  readonly reply: Reply;
  readonly messageId?: string;
}

export type SessionEffect =
  | { readonly type: 'write'; readonly bytes: Uint8Array }
  | { readonly type: 'upgradeTls' }
  | {
      readonly type: 'writeBody';
      readonly body: unknown;
      readonly maxSize: number;
      readonly allow8bit: boolean;
      readonly transfer: BodyTransfer;
      /**
       * BDAT of a known size (`SendRequest.unstuffedSize`): the n of the `BDAT n LAST` written just
       * before this effect (RFC 3030 §2). The body must be exactly that many octets: a transport that
       * finds otherwise writes none of it and calls bodyFailed() (the server would read the difference
       * as commands, or wait for octets that never come). Absent for DATA and for a chunked stream.
       */
      readonly announcedOctets?: number;
      /**
       * A whole, small body (SendRequest.size ≤ INLINE_BODY_OCTETS): write all of it synchronously,
       * inside this effect and in the same flight as the writes around it; call neither bodyProgress()
       * nor bodyFinished() (the session already counts it as written), only bodyFailed() if it cannot be
       * written (then nothing of it may be written).
       */
      readonly inline: boolean;
    }
  /**
   * End the connection. `afterQuit`: a refusal ended the session while the dialogue was in step, and
   * QUIT was written just before (RFC 5321 §4.1.1.10): the server answers 221 and closes its side,
   * so the close may wait for that (bounded) instead of destroying the socket.
   */
  | { readonly type: 'close'; readonly afterQuit?: true };

/** How a send ended: exactly one per send.requested. */
export type Settlement =
  | { readonly ok: true; readonly result: SendResult }
  | { readonly ok: false; readonly error: SmtpError };
