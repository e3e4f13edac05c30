/**
 * The errors the pool raises itself (not from a server reply): closed, aborted, queue full (bad
 * input is errors/invalid-argument.ts's). Each has a stable code and says whether anything may have
 * been sent (threats.md §7).
 */
import { ErrorCodes } from '../errors/codes.js';
import { type Outcome, SmtpError } from '../errors/smtp-error.js';
import { thrownKind } from './failure-action.js';

/**
 * CLIENT_CLOSED: the pool's close ended this send. `during` is the failure its aborted transaction
 * reported, whose outcome and phase are the exact ones (not-sent before the dot, unknown after it).
 */
export function closedError(outcome: Outcome, during?: SmtpError): SmtpError {
  return new SmtpError({
    code: ErrorCodes.CLIENT_CLOSED,
    origin: 'local',
    outcome,
    phase: during?.phase ?? 'closed',
    message:
      outcome === 'unknown'
        ? 'The pool was closed while this message was being sent; it may have been delivered'
        : 'The pool was closed before this message was sent',
    ...(during === undefined ? {} : { cause: during }),
  });
}

export function abortedError(reason: unknown): SmtpError {
  return new SmtpError({
    code: ErrorCodes.ABORTED,
    origin: 'local',
    outcome: 'not-sent',
    message: 'The send was aborted before it was sent',
    cause: reason,
  });
}

export function queueFullError(): SmtpError {
  return new SmtpError({
    code: ErrorCodes.QUEUE_FULL,
    origin: 'local',
    outcome: 'not-sent',
    retryable: true,
    field: 'maxQueue',
    message: 'The pool queue is full (maxQueue sends waiting); try again later or raise maxQueue',
  });
}

/**
 * The client factory threw: no connection exists, so nothing was sent. An SmtpError (e.g. a usage
 * error from a custom factory) is the send's failure as is; anything else is a factory bug.
 */
export function clientCreationError(thrown: unknown): SmtpError {
  if (thrown instanceof SmtpError) return thrown;
  const kind = thrownKind(thrown);
  return new SmtpError({
    code: ErrorCodes.INTERNAL_ERROR,
    origin: 'local',
    outcome: 'not-sent',
    retryable: false,
    message: `The client factory failed with a ${kind} (a bug; see cause); nothing was sent`,
    cause: thrown,
  });
}
