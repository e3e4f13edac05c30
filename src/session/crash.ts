/**
 * What a Session does when a machine action throws (actions must not: xstate then stops the machine)
 * or an injected clock throws while the facade arms the phase timer: no final state runs, so the
 * facade ends the session with SMTP_INTERNAL_ERROR.
 */
import type { Phase, SmtpError } from '../errors/smtp-error.js';
import { internalFailure } from './failures.js';
import type { SessionContext } from './machine-types.js';

export interface CrashSettlements {
  /** Pending sends whose body is known not to be on the wire: they settle with `ended`. */
  readonly notSent: ReadonlySet<number>;
  /** What every other pending send settles with (threats.md §7: the message may have been delivered). */
  readonly unknown: SmtpError;
  /** The error the session itself ends with. */
  readonly ended: SmtpError;
}

/**
 * From the last good snapshot: sends not known to be body-less on the wire are 'unknown'. Only the
 * envelope is out in mail/rcpt (unless a BDAT chunk rides with it); a held next has no body out.
 */
export function crashSettlements(
  state: unknown,
  context: Pick<SessionContext, 'tx' | 'next'>,
  phase: Phase,
  cause: unknown,
): CrashSettlements {
  const { tx, next } = context;
  const notSent = new Set<number>();
  if ((state === 'mail' || state === 'rcpt') && tx !== undefined && tx.chunks === 0) notSent.add(tx.id);
  if (next !== undefined) notSent.add(next.id);
  return {
    notSent,
    unknown: internalFailure(cause, phase, 'unknown'),
    ended: internalFailure(cause, phase, 'not-sent'),
  };
}
