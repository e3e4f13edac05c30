/**
 * What a failed send means for the pool: the classification action (errors/classify.ts tables,
 * RFC 5321 §4.2.1 classes, SES rows), whether the connection is still usable, and the one case the
 * reply cannot tell: a reused connection that died while idle (threats.md §7: nothing was sent).
 */
import { type Action, classifyReply, type ProviderProfile } from '../errors/classify.js';
import { ErrorCodes } from '../errors/codes.js';
import { internalError } from '../errors/internal-error.js';
import { type Phase, SmtpError } from '../errors/smtp-error.js';

export { internalError, thrownKind } from '../errors/internal-error.js';

/** Phases where a transaction runs on a connection that stays usable after a refusal. */
const TRANSACTION_PHASES: ReadonlySet<Phase> = new Set(['mail', 'rcpt', 'data', 'data-end']);
/** Phases in which a close means the socket was already gone before this message's commands mattered. */
const STALE_PHASES: ReadonlySet<Phase | undefined> = new Set([undefined, 'ready', 'mail', 'closed']);

export function failureAction(error: SmtpError, profile: ProviderProfile, reusedConnection: boolean): Action {
  if (error.reply) {
    const action = classifyReply(error.reply, error.phase ?? 'data-end', profile).action;
    if (action !== 'continue') return action;
  }
  if (error.code === ErrorCodes.DAILY_QUOTA_EXCEEDED) return 'stop-sending';
  if (error.code === ErrorCodes.THROTTLED) return 'slow-down';
  if (error.code === ErrorCodes.TOO_MANY_CONNECTIONS) return 'reduce-connections';
  if (reusedConnection && diedWhileIdle(error)) return 'reconnect';
  // A loss after the dot ('unknown') is transient too; decideRetry retries it only under at-least-once.
  return error.retryable || error.outcome === 'unknown' ? 'retry' : 'reject';
}

/**
 * A reused connection closed before or at MAIL with nothing sent: the server dropped it while it
 * sat idle (SES after ~10 s, load-balancer host retirement). Not a failure of this message.
 */
export function diedWhileIdle(error: SmtpError): boolean {
  return (
    error.code === ErrorCodes.CONNECTION_CLOSED &&
    error.outcome === 'not-sent' &&
    STALE_PHASES.has(error.phase)
  );
}

/** Local failures after which nobody knows the connection's state: an abort, a timeout, a client's bug. */
const LOCAL_BREAKS: ReadonlySet<string> = new Set([
  ErrorCodes.ABORTED,
  ErrorCodes.TIMEOUT,
  ErrorCodes.INTERNAL_ERROR,
]);

/**
 * Keeps a connection only after a refusal inside a transaction (the session is back at `ready`), a
 * usage error caught before writing, or an abort of a send none of which was written (phase `ready`:
 * in createClient's queue, or held behind a pipelined transaction); anything else (network,
 * timeout, an abort once the send reached the connection, a client's bug, protocol violation, 421,
 * setup failure) ends it.
 */
export function breaksConnection(error: SmtpError, action: Action): boolean {
  if (action === 'reconnect' || action === 'reduce-connections') return true;
  if (abortedWhileQueued(error)) return false;
  if (error.origin === 'local') return LOCAL_BREAKS.has(error.code);
  if (error.origin === 'network' || error.reply === undefined || error.reply.code === 421) return true;
  return error.phase === undefined || !TRANSACTION_PHASES.has(error.phase);
}

/**
 * Clients must fail with SmtpError; anything else is a bug in the client (or a custom factory)
 * whose effect on delivery is unknown: wrapped, with the thrown value as `cause`.
 */
export function toSmtpError(thrown: unknown): SmtpError {
  if (thrown instanceof SmtpError) return thrown;
  return internalError(thrown);
}

/**
 * Aborted before any of it was written: `ready` is the phase createClient (a send in its queue) and
 * the session (a held next not yet written) name then; the connection carries on.
 */
function abortedWhileQueued(error: SmtpError): boolean {
  return error.code === ErrorCodes.ABORTED && error.phase === 'ready' && error.outcome === 'not-sent';
}
