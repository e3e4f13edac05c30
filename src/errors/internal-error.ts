/**
 * The error for a failure that is neither the server's nor the network's (a bug: something threw
 * that is not an SmtpError). Nothing tells whether the message went out, so its outcome is
 * 'unknown' (threats.md §7): never retried unless the caller chose at-least-once.
 */
import { ErrorCodes } from './codes.js';
import { SmtpError } from './smtp-error.js';

/**
 * A failure that is not the server's or the network's: outcome 'unknown' because nothing tells
 * whether the message went out, so it is never retried unless the caller chose at-least-once.
 * The message names the thrown value's type only (its text may carry data); the value is `cause`.
 */
export function internalError(thrown: unknown): SmtpError {
  const kind = thrownKind(thrown);
  return new SmtpError({
    code: ErrorCodes.INTERNAL_ERROR,
    origin: 'local',
    outcome: 'unknown',
    retryable: false,
    message:
      `The client failed with a ${kind} instead of an SmtpError (a bug; see cause); ` +
      'the message may or may not have been sent',
    cause: thrown,
  });
}

/** What was thrown, named by its type only (its text may carry data). */
export function thrownKind(thrown: unknown): string {
  return thrown instanceof Error ? thrown.name : thrown === null ? 'null' : typeof thrown;
}
