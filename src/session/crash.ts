/**
 * What a Session does when a machine action throws (actions must not: the runner then stops the machine),
 * an effect cannot be applied, or an injected clock throws while the facade arms the phase timer: no
 * final state runs, so the facade ends the session with SMTP_INTERNAL_ERROR.
 */
import type { Phase, SmtpError } from '../errors/smtp-error.js';
import { internalFailure } from './failures.js';
import type { SessionContext } from './machine-types.js';

export interface CrashSettlements {
  /** The pending send whose whole body is on the wire, if any: it settles with `unknown`. */
  readonly mayBeDelivered: number | undefined;
  /** What that send settles with (threats.md §7: the message may have been delivered). */
  readonly unknown: SmtpError;
  /** What the session ends with, and every other pending send: nothing of its body is on the wire. */
  readonly ended: SmtpError;
}

/**
 * From the last snapshot: only the transaction whose body was all written (its dot or LAST chunk
 * out: `bodyWritten`, as the machine's own losses count it) may have been delivered. A part of a
 * body, an envelope, a DATA without its 354, a held next, a send the machine never saw: not sent.
 */
export function crashSettlements(
  context: Pick<SessionContext, 'tx'>,
  phase: Phase,
  cause: unknown,
): CrashSettlements {
  const { tx } = context;
  return {
    mayBeDelivered: tx?.bodyWritten === true ? tx.id : undefined,
    unknown: internalFailure(cause, phase, 'unknown'),
    ended: internalFailure(cause, phase, 'not-sent'),
  };
}
