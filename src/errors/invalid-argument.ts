/**
 * The usage error every option and argument check throws: SMTP_INVALID_ARGUMENT, `field` naming the
 * part at fault (`attachments[1].filename`, `profile.rules[0].text`), the message `field: problem`
 * (never the value), and the object test those checks share.
 */
import { ErrorCodes } from './codes.js';
import { SmtpUsageError } from './smtp-error.js';

export function invalidArgument(field: string, problem: string): SmtpUsageError {
  return new SmtpUsageError({ code: ErrorCodes.INVALID_ARGUMENT, field, message: `${field}: ${problem}` });
}

/** A non-null, non-array object: what an options record must be before its keys are read. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
