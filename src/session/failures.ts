/**
 * The errors a session ends or refuses a send with (threats.md §7 outcomes; RFC 5321 §4.2.1 reply
 * classes via classifyReply). Messages quote the server's text except while authenticating.
 */
import { classifyReply, type ProviderProfile } from '../errors/classify.js';
import { ErrorCodes } from '../errors/codes.js';
import { printable } from '../errors/printable.js';
import {
  type Outcome,
  type Phase,
  SmtpConnectionError,
  SmtpError,
  SmtpProtocolError,
  SmtpReplyError,
  SmtpTimeoutError,
  SmtpUsageError,
} from '../errors/smtp-error.js';
import type { Reply } from '../protocol/reply-types.js';

const MAX_QUOTED_TEXT = 200;

/**
 * "250 Ok" style summary; in the auth phase only the code (servers echo user names in 535 text).
 * Control characters in the server's text are escaped: an error message is a log line.
 */
export function describeReply(reply: Reply, phase: Phase): string {
  if (phase === 'auth') return String(reply.code);
  const text = reply.lines.join(' ');
  const quoted = printable(text.length > MAX_QUOTED_TEXT ? `${text.slice(0, MAX_QUOTED_TEXT)}…` : text);
  return `${reply.code} ${quoted}`.trimEnd();
}

/** A 4xx/5xx refusal classified by the profile (code, outcome, retryable). */
export function refusal(reply: Reply, phase: Phase, profile: ProviderProfile): SmtpReplyError {
  const disposition = classifyReply(reply, phase, profile);
  const positive = disposition.action === 'continue';
  return new SmtpReplyError({
    code: positive ? ErrorCodes.REPLY_UNEXPECTED : disposition.code,
    message: `${phase}: server refused: ${describeReply(reply, phase)}`,
    outcome: positive ? 'not-sent' : disposition.outcome,
    retryable: positive ? false : disposition.retryable,
    phase,
    reply,
  });
}

/** A reply that answers nothing we asked, or has a class the command cannot get (RFC 5321 §4.3.2). */
export function unexpectedReply(
  reply: Reply,
  phase: Phase,
  outcome: Outcome = 'not-sent',
): SmtpProtocolError {
  return replyUnexpected(reply, phase, outcome, `unexpected reply ${describeReply(reply, phase)}`);
}

/** threats.md §6: more replies or bytes behind the one reply outstanding (`reply`, the one that answered). */
export function unaskedReply(reply: Reply, phase: Phase, outcome: Outcome = 'not-sent'): SmtpProtocolError {
  return replyUnexpected(
    reply,
    phase,
    outcome,
    `a reply nobody asked for came behind ${describeReply(reply, phase)}`,
  );
}

function replyUnexpected(reply: Reply, phase: Phase, outcome: Outcome, what: string): SmtpProtocolError {
  return new SmtpProtocolError({
    code: ErrorCodes.REPLY_UNEXPECTED,
    message: `${phase}: ${what}`,
    outcome,
    phase,
    reply,
  });
}

export function protocolError(
  code: SmtpError['code'],
  message: string,
  phase: Phase,
  reply?: Reply,
): SmtpProtocolError {
  return new SmtpProtocolError(reply ? { code, message, phase, reply } : { code, message, phase });
}

/**
 * A phase's timer expired (RFC 5321 §4.5.3.2). `startedPlain`: the connection did not begin with TLS,
 * so a missing greeting may mean a port that waits for a ClientHello (RFC 8314 implicit TLS). The
 * session does not know the port: the words are conditional (on SES's STARTTLS ports implicit TLS
 * is refused, and the CLI's hints name EC2's port-25 restriction instead).
 */
export function timedOut(phase: Phase, outcome: Outcome, startedPlain = false): SmtpTimeoutError {
  const detail =
    outcome === 'unknown'
      ? ' after the final dot: the message may have been delivered'
      : phase === 'greeting' && startedPlain
        ? " (if this port expects TLS from the first byte, as 465 does, it says nothing until the client starts TLS: use security 'implicit'; a STARTTLS port such as 587 or 25 does greet)"
        : '';
  return new SmtpTimeoutError({ message: `${phase}: timed out${detail}`, phase, outcome, retryable: true });
}

/**
 * The transport reported a close before connected(): its dial failed, so nothing was written. The
 * transport's own SmtpError for it (its connect timer, an implicit-TLS handshake) is kept, as
 * tls.failed keeps one; anything else, or an error claiming more than not-sent, becomes
 * CONNECTION_FAILED with it as cause — createClient's code for a dial that failed.
 */
export function dialFailed(cause: unknown): SmtpError {
  if (cause instanceof SmtpError && cause.outcome === 'not-sent') return cause;
  const code = (cause as { code?: unknown } | undefined)?.code;
  return new SmtpConnectionError({
    code: ErrorCodes.CONNECTION_FAILED,
    message: `connect: could not connect${typeof code === 'string' && !(cause instanceof SmtpError) ? ` (${printable(code)})` : ''}`,
    phase: 'connect',
    outcome: 'not-sent',
    retryable: true,
    ...(cause === undefined ? {} : { cause }),
  });
}

/**
 * The connection closed. `partial`: what was received of a reply the close cut short, quoted
 * (escaped) so that the caller sees it (threats.md §6: a cut "250 … queued as" is evidence of
 * delivery) — except while authenticating, where servers echo credentials.
 */
export function connectionLost(
  phase: Phase,
  outcome: Outcome,
  cause: unknown,
  partial?: string,
): SmtpConnectionError {
  const detail = outcome === 'unknown' ? ' after the final dot: the message may have been delivered' : '';
  const received =
    partial === undefined || phase === 'auth'
      ? ''
      : `; received of a reply before the close: "${printable(partial)}"`;
  return new SmtpConnectionError({
    code: ErrorCodes.CONNECTION_CLOSED,
    message: `${phase}: connection closed${detail}${received}`,
    outcome,
    phase,
    retryable: true,
    ...(cause === undefined ? {} : { cause }),
  });
}

/** The same error with the outcome a loss at this point implies (e.g. a malformed reply to the dot). */
export function withOutcome(error: SmtpError, phase: Phase, outcome: Outcome): SmtpError {
  if (error.outcome === outcome) return error;
  return new SmtpProtocolError({
    code: error.code,
    message: error.message,
    outcome,
    phase,
    retryable: outcome !== 'rejected',
    cause: error,
  });
}

/** The session is over: nothing more can be sent on it. */
export function sessionEnded(phase: Phase): SmtpConnectionError {
  return new SmtpConnectionError({
    code: ErrorCodes.CONNECTION_CLOSED,
    message: `${phase}: the session has ended`,
    phase,
    retryable: true,
  });
}

/** threats.md §1: bytes between the 220 to STARTTLS and the handshake. */
export function injection(): SmtpProtocolError {
  return new SmtpProtocolError({
    code: ErrorCodes.STARTTLS_INJECTION,
    message: 'tls: bytes arrived after the 220 to STARTTLS, before the TLS handshake (response injection)',
    phase: 'tls',
  });
}

export function asProtocolError(error: unknown, phase: Phase): SmtpError {
  if (error instanceof SmtpError) return error;
  return new SmtpProtocolError({
    code: ErrorCodes.REPLY_MALFORMED,
    message: `${phase}: malformed reply`,
    phase,
    cause: error,
  });
}

export function asUsageError(error: unknown): SmtpError {
  if (error instanceof SmtpError) return error;
  return new SmtpUsageError({
    code: ErrorCodes.INVALID_ARGUMENT,
    field: 'command',
    message: 'command: refused by the encoder',
  });
}

export function clientClosed(phase: Phase, outcome: Outcome): SmtpConnectionError {
  return new SmtpConnectionError({
    code: ErrorCodes.CLIENT_CLOSED,
    message: `${phase}: the client closed the session`,
    outcome,
    phase,
    retryable: outcome === 'not-sent',
  });
}

export function aborted(phase: Phase, outcome: Outcome): SmtpConnectionError {
  const detail = outcome === 'unknown' ? ' after the final dot: the message may have been delivered' : '';
  return new SmtpConnectionError({
    code: ErrorCodes.ABORTED,
    message: `${phase}: the send was aborted${detail}`,
    outcome,
    phase,
    retryable: outcome === 'not-sent',
  });
}

/**
 * What the next transaction (held or pipelined behind the previous one's end, RFC 2920 §3.1)
 * settles with when the session ends before its turn: its body was never written, so 'not-sent'.
 */
export function notSentBehind(error: SmtpError): SmtpError {
  if (error.outcome === 'not-sent') return error;
  return new SmtpConnectionError({
    code: ErrorCodes.CONNECTION_CLOSED,
    message: `mail: the session ended (${error.code}) while the previous message awaited its reply; this one was not sent`,
    outcome: 'not-sent',
    phase: 'mail',
    retryable: true,
    cause: error,
  });
}

/**
 * What the next transaction settles with when the session ends because the send before it was
 * aborted (the connection is closed: a body cannot be taken back): not written, so 'not-sent', and
 * retryable — neither this caller nor the server ended it.
 */
export function notSentBehindAbort(abort: SmtpError): SmtpError {
  return new SmtpConnectionError({
    code: ErrorCodes.CONNECTION_CLOSED,
    message:
      'mail: the connection was closed when the send before this one was aborted; this one was not sent',
    outcome: 'not-sent',
    phase: 'mail',
    retryable: true,
    cause: abort,
  });
}

/** An action threw (a bug: the machine stopped mid-step), or an injected clock threw while the facade armed the timer. */
export function internalFailure(cause: unknown, phase: Phase, outcome: Outcome): SmtpError {
  const detail = outcome === 'unknown' ? '; the message may have been delivered' : '';
  return new SmtpError({
    code: ErrorCodes.INTERNAL_ERROR,
    message: `${phase}: the session machine failed${detail}`,
    origin: 'local',
    outcome,
    phase,
    cause,
  });
}
