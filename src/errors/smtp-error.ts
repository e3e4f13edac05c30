/**
 * The one error type every failure surfaces as. Each carries a stable `code`, who broke the
 * rules (`origin`), the session `phase`, the `reply` that caused it when there was one, and the
 * delivery `outcome`: the question a caller must answer before retrying (threats.md §7, RFC 1047).
 */
import type { Reply } from '../protocol/reply-types.js';
import type { ErrorCode } from './codes.js';

/**
 * - `not-sent`: nothing was or could have been delivered; safe to retry.
 * - `rejected`: the server refused permanently; retrying unchanged will fail again.
 * - `unknown`: the connection was lost or timed out after the final dot was written and
 *   before its reply: the message may have been delivered.
 */
export type Outcome = 'not-sent' | 'rejected' | 'unknown';

/** Who broke the rules (h11's split): the caller, the peer, or the network between them. */
export type Origin = 'local' | 'remote' | 'network';

/** What the client was doing when the error happened. */
export type Phase =
  | 'connect'
  | 'greeting'
  | 'ehlo'
  | 'helo'
  | 'starttls'
  | 'tls'
  | 'auth'
  | 'ready'
  | 'mail'
  | 'rcpt'
  | 'data'
  | 'body'
  | 'data-end'
  | 'rset'
  | 'quit'
  | 'closed';

/** A recipient the server refused at RCPT, with its reply. */
export interface RecipientRefusal {
  readonly recipient: string;
  readonly reply: Reply;
}

export interface SmtpErrorOptions {
  readonly code: ErrorCode;
  readonly message: string;
  readonly origin: Origin;
  readonly outcome?: Outcome;
  readonly phase?: Phase;
  readonly reply?: Reply;
  /** Worth retrying later; forced to false unless the outcome is 'not-sent'. */
  readonly retryable?: boolean;
  /** The field a usage error is about (never its value: values may be secrets or attacks). */
  readonly field?: string;
  /**
   * Per-recipient refusals: every RCPT's for ALL_RECIPIENTS_REJECTED (lets delivery retry 4xx
   * recipients and report 5xx ones), else those the server refused before the transaction failed.
   */
  readonly rejectedRecipients?: readonly RecipientRefusal[];
  readonly cause?: unknown;
}

export class SmtpError extends Error {
  override readonly name: string = 'SmtpError';
  readonly code: ErrorCode;
  readonly origin: Origin;
  readonly outcome: Outcome;
  readonly phase: Phase | undefined;
  readonly reply: Reply | undefined;
  readonly retryable: boolean;
  readonly field: string | undefined;
  readonly rejectedRecipients: readonly RecipientRefusal[] | undefined;

  constructor(options: SmtpErrorOptions) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code;
    this.origin = options.origin;
    this.outcome = options.outcome ?? 'not-sent';
    this.phase = options.phase;
    this.reply = options.reply;
    // Only a message that was certainly not delivered may be resent: `retryable` on an 'unknown'
    // or 'rejected' outcome would invite a caller's `if (e.retryable) resend()` to duplicate mail.
    this.retryable = (options.retryable ?? false) && this.outcome === 'not-sent';
    this.field = options.field;
    this.rejectedRecipients = options.rejectedRecipients;
  }

  /** A plain, secret-free view for logs and JSON output. */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      origin: this.origin,
      outcome: this.outcome,
      phase: this.phase,
      retryable: this.retryable,
      field: this.field,
      reply: this.reply,
      rejectedRecipients: this.rejectedRecipients,
    };
  }
}

/** The caller's input was refused before any byte was written. */
export class SmtpUsageError extends SmtpError {
  override readonly name = 'SmtpUsageError';
  constructor(options: Omit<SmtpErrorOptions, 'origin' | 'outcome' | 'retryable'>) {
    super({ ...options, origin: 'local', outcome: 'not-sent', retryable: false });
  }
}

/** The server broke the protocol (malformed reply, injection attempt, reply bomb). */
export class SmtpProtocolError extends SmtpError {
  override readonly name = 'SmtpProtocolError';
  constructor(options: Omit<SmtpErrorOptions, 'origin'>) {
    super({ ...options, origin: 'remote' });
  }
}

/** The server answered with a refusal (4xx or 5xx) or an otherwise unacceptable reply. */
export class SmtpReplyError extends SmtpError {
  override readonly name = 'SmtpReplyError';
  constructor(options: Omit<SmtpErrorOptions, 'origin'>) {
    super({ ...options, origin: 'remote' });
  }
}

/** The connection failed, closed early, or TLS could not be established. */
export class SmtpConnectionError extends SmtpError {
  override readonly name = 'SmtpConnectionError';
  constructor(options: Omit<SmtpErrorOptions, 'origin'>) {
    super({ ...options, origin: 'network' });
  }
}

/** A phase's timeout (RFC 5321 §4.5.3.2) expired. */
export class SmtpTimeoutError extends SmtpError {
  override readonly name = 'SmtpTimeoutError';
  constructor(options: Omit<SmtpErrorOptions, 'origin' | 'code'>) {
    super({ ...options, code: 'SMTP_TIMEOUT', origin: 'network' });
  }
}

export function isSmtpError(value: unknown): value is SmtpError {
  return value instanceof SmtpError;
}

/** A copy of `error`: same class, fields, cause and stack; a new object (for an error another send holds too). */
export function copyError<E extends SmtpError>(error: E): E {
  return Object.create(Object.getPrototypeOf(error), Object.getOwnPropertyDescriptors(error)) as E;
}

/** A copy of `error` (copyError) with `rejectedRecipients` set to `refusals`. */
export function withRejectedRecipients<E extends SmtpError>(
  error: E,
  refusals: readonly RecipientRefusal[],
): E {
  const copy = copyError(error);
  Object.defineProperty(copy, 'rejectedRecipients', {
    value: Object.freeze([...refusals]),
    enumerable: true,
    configurable: true,
  });
  return copy;
}
