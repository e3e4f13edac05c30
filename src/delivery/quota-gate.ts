/**
 * The pool's stop switch for an exhausted daily quota (SES `454 Throttling failure: Daily message
 * quota exceeded`): every further send is certain to fail until the rolling 24-hour window frees
 * capacity, so the pool stops instead of spending retries, until the caller calls resume().
 */
import { ErrorCodes } from '../errors/codes.js';
import { SmtpError } from '../errors/smtp-error.js';

export class QuotaGate {
  #stoppedBy: SmtpError | undefined;

  get stopped(): boolean {
    return this.#stoppedBy !== undefined;
  }

  /** The reply error that stopped the pool, while stopped. */
  get cause(): SmtpError | undefined {
    return this.#stoppedBy;
  }

  /** True when this call stopped a running pool. */
  stop(error: SmtpError): boolean {
    if (this.#stoppedBy) return false;
    this.#stoppedBy = error;
    return true;
  }

  /** True when this call restarted a stopped pool. */
  resume(): boolean {
    if (!this.#stoppedBy) return false;
    this.#stoppedBy = undefined;
    return true;
  }

  /** The error a send gets when it meets the stopped pool without having tried itself. */
  failure(): SmtpError {
    const cause = this.#stoppedBy;
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
