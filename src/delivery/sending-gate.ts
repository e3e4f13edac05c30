/**
 * The pool's stop switch, for the failures where every further attempt is certain to fail the same
 * way (SES troubleshooting page): `454 Throttling failure: Daily message quota exceeded` (until the
 * rolling 24-hour window frees capacity) and 530/535 credentials refused (until the credentials or
 * the account change). Stopping spares the server a stream of doomed sessions; resume() restarts.
 */
import { ErrorCodes } from '../errors/codes.js';
import { SmtpError } from '../errors/smtp-error.js';
import type { Reply } from '../protocol/reply-types.js';
import type { QuotaPolicy } from './pool-options.js';

/** Why the pool stopped sending. */
export type PoolStopReason = 'daily-quota' | 'credentials';

export class SendingGate {
  #reason: PoolStopReason | undefined;
  #stoppedBy: SmtpError | undefined;

  get stopped(): boolean {
    return this.#reason !== undefined;
  }

  get reason(): PoolStopReason | undefined {
    return this.#reason;
  }

  /** True when this call stopped a running pool (the first stop wins until resume()). */
  stop(reason: PoolStopReason, error: SmtpError): boolean {
    if (this.#reason) return false;
    this.#reason = reason;
    this.#stoppedBy = error;
    return true;
  }

  /** The reason cleared, or undefined when the pool was not stopped. */
  resume(): PoolStopReason | undefined {
    const reason = this.#reason;
    this.#reason = undefined;
    this.#stoppedBy = undefined;
    return reason;
  }

  /**
   * Whether a send meeting the stopped pool fails now rather than waits for resume(). A quota stop
   * honours the send's policy; refused credentials always fail: waiting cannot fix them.
   */
  failsFast(policy: QuotaPolicy): boolean {
    return this.#reason === 'credentials' || policy === 'fail';
  }

  /** The error a send gets when it meets the stopped pool without having tried itself. */
  failure(): SmtpError {
    const cause = this.#stoppedBy;
    if (this.#reason === 'credentials' && cause) return credentialsFailure(cause);
    return new SmtpError({
      code: ErrorCodes.DAILY_QUOTA_EXCEEDED,
      origin: 'local',
      outcome: 'not-sent',
      retryable: true,
      message:
        'Not sent: the daily sending quota is exhausted and the pool has stopped sending; ' +
        'call resume() once the quota window frees up',
      ...(cause?.reply === undefined ? {} : { reply: cause.reply }),
      cause,
    });
  }
}

/** The stop cause for a daily-quota reply met outside a failed send (a RCPT 454). */
export function quotaError(reply: Reply | undefined): SmtpError {
  return new SmtpError({
    code: ErrorCodes.DAILY_QUOTA_EXCEEDED,
    origin: 'remote',
    outcome: 'not-sent',
    retryable: true,
    message: 'Daily sending quota exceeded',
    ...(reply === undefined ? {} : { reply }),
  });
}

/** The refusal that stopped the pool, as each send that never tried gets it: same code, reply and phase. */
function credentialsFailure(cause: SmtpError): SmtpError {
  return new SmtpError({
    code: cause.code,
    origin: 'local',
    outcome: 'not-sent',
    retryable: false,
    ...(cause.phase === undefined ? {} : { phase: cause.phase }),
    ...(cause.reply === undefined ? {} : { reply: cause.reply }),
    message:
      `Not sent: the server refused the pool's credentials (${cause.code}) and the pool has stopped ` +
      'sending rather than repeat them; create a pool with the right credentials (or, once the ' +
      "account's SES access is fixed, call resume())",
    cause,
  });
}
