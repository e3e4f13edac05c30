/**
 * The record a pooled send carries to its caller: one entry per attempt (threats.md §7: every send
 * settles exactly once, with the full history), and the helpers that attach it to the final error.
 */
import type { ErrorCode } from '../errors/codes.js';
import { type Outcome, type Phase, SmtpError } from '../errors/smtp-error.js';
import type { Reply } from '../protocol/reply-types.js';

export interface AttemptError {
  readonly code: ErrorCode | string;
  readonly outcome: Outcome;
  readonly message: string;
  readonly phase: Phase | undefined;
}

export interface Attempt {
  /** Clock time (monotonic ms) when the attempt got its connection and send-rate tokens. */
  readonly startedAt: number;
  readonly connectionId: string;
  /** Retry back-off waited before this attempt (0 for the first and for free reconnects). */
  readonly delayBeforeMs: number;
  /** Envelope recipients of this transaction (a per-recipient retry sends only the deferred ones). */
  readonly recipients: readonly string[];
  /** Reply to the final dot when the transaction completed. */
  reply?: Reply;
  /** Recipients the server took in this attempt. */
  accepted?: readonly string[];
  /** The server's id for the message this attempt delivered (SES: the text after "250 Ok "). */
  messageId?: string;
  error?: AttemptError;
}

export type SmtpErrorWithAttempts = SmtpError & { readonly attempts: readonly Attempt[] };

export function summarizeError(error: SmtpError): AttemptError {
  return { code: error.code, outcome: error.outcome, message: error.message, phase: error.phase };
}

/** Adds the history to the error the caller receives (non-enumerable: toJSON stays as it was). */
export function withAttempts(error: SmtpError, attempts: readonly Attempt[]): SmtpErrorWithAttempts {
  Object.defineProperty(error, 'attempts', { value: attempts, enumerable: false, configurable: true });
  return error as SmtpErrorWithAttempts;
}

/** The attempt history of an error a pool rejected with, if it has one. */
export function attemptsOf(error: unknown): readonly Attempt[] | undefined {
  if (!(error instanceof SmtpError)) return undefined;
  const attempts = (error as Partial<SmtpErrorWithAttempts>).attempts;
  return Array.isArray(attempts) ? attempts : undefined;
}

/**
 * An earlier attempt may have delivered the message (lost final reply, retried under at-least-once):
 * a later failure, 'not-sent' or 'rejected', must not tell the caller that nothing went out.
 */
export function asMaybeDelivered(error: SmtpError): SmtpError {
  if (error.outcome === 'unknown') return error;
  return new SmtpError({
    code: error.code,
    origin: error.origin,
    outcome: 'unknown',
    ...(error.phase === undefined ? {} : { phase: error.phase }),
    ...(error.reply === undefined ? {} : { reply: error.reply }),
    retryable: false,
    message: `${error.message} (an earlier attempt lost its final reply: the message may have been delivered)`,
    cause: error,
  });
}
