/**
 * SES accepts at most 50 recipients (To + Cc + Bcc, i.e. RCPT commands) per message and refuses more
 * only after the final dot (`554 Transaction failed: Recipient count exceeds 50.`): check first.
 */
import { ErrorCodes } from '../errors/codes.js';
import { SmtpUsageError } from '../errors/smtp-error.js';

export const SES_MAX_RECIPIENTS = 50;

/** Throws SmtpUsageError (SMTP_TOO_MANY_RECIPIENTS) above 50, SMTP_INVALID_ARGUMENT for a non-count. */
export function checkSesRecipientCount(count: number): void {
  if (!Number.isSafeInteger(count) || count < 0) {
    throw new SmtpUsageError({
      code: ErrorCodes.INVALID_ARGUMENT,
      field: 'to',
      message: 'recipient count must be a non-negative integer',
    });
  }
  if (count > SES_MAX_RECIPIENTS) {
    throw new SmtpUsageError({
      code: ErrorCodes.TOO_MANY_RECIPIENTS,
      field: 'to',
      message: `SES accepts at most ${SES_MAX_RECIPIENTS} recipients per message; split it into several messages`,
    });
  }
}
