/**
 * Process exit codes of the `smtp-machine` CLI, from BSD sysexits(3), and the mapping from an
 * SmtpError to the one that tells a script what to do next (fix the call, give up, retry later, fix config).
 */
import { ErrorCodes } from '../errors/codes.js';
import { isSmtpError, type SmtpError } from '../errors/smtp-error.js';
import { errorCodeOf } from './error-text.js';

export const ExitCodes = {
  OK: 0, // everything delivered / every check passed
  USAGE: 64, // EX_USAGE: bad flags or arguments
  NO_INPUT: 66, // EX_NOINPUT: an input file could not be read
  UNAVAILABLE: 69, // EX_UNAVAILABLE: refused permanently (5yz, host unreachable)
  SOFTWARE: 70, // EX_SOFTWARE: a bug in this program
  TEMP_FAIL: 75, // EX_TEMPFAIL: try again later (4yz, timeouts, unknown outcome)
  CONFIG: 78, // EX_CONFIG: credentials, TLS mode or certificate trust must change first
} as const;

export type ExitCode = (typeof ExitCodes)[keyof typeof ExitCodes];

/** Codes that no retry fixes: the credentials or connection settings are wrong. */
const CONFIGURATION_CODES: ReadonlySet<string> = new Set([
  ErrorCodes.AUTH_FAILED,
  ErrorCodes.AUTH_REQUIRED,
  ErrorCodes.AUTH_WITHOUT_TLS,
  ErrorCodes.AUTH_MECHANISM_UNSUPPORTED,
  ErrorCodes.TLS_REQUIRED,
  ErrorCodes.TLS_FAILED,
  ErrorCodes.STARTTLS_INJECTION,
]);

/** Local refusals of the message itself (nothing was sent, sending it again unchanged cannot work). */
const MESSAGE_REFUSED_CODES: ReadonlySet<string> = new Set([
  ErrorCodes.MESSAGE_TOO_LARGE,
  ErrorCodes.TOO_MANY_RECIPIENTS,
  ErrorCodes.BODY_8BIT_NOT_SUPPORTED,
  ErrorCodes.BODY_BINARY_NOT_SUPPORTED,
  ErrorCodes.NON_ASCII_WITHOUT_SMTPUTF8,
]);

export function exitCodeForError(error: unknown): ExitCode {
  if (!isSmtpError(error)) return ExitCodes.SOFTWARE;
  return exitCodeForSmtpError(error);
}

function exitCodeForSmtpError(error: SmtpError): ExitCode {
  // A bug wrapped as an SmtpError (a client factory that threw, a session that crashed) is still a bug.
  if (error.code === ErrorCodes.INTERNAL_ERROR) return ExitCodes.SOFTWARE;
  if (CONFIGURATION_CODES.has(error.code)) return ExitCodes.CONFIG;
  if (MESSAGE_REFUSED_CODES.has(error.code)) return ExitCodes.UNAVAILABLE;
  // Retryable wins over origin: a local stop such as the daily quota or a full queue is "later", not "usage".
  if (error.retryable) return ExitCodes.TEMP_FAIL;
  if (error.origin === 'local' && error.code !== ErrorCodes.ABORTED) return ExitCodes.USAGE;
  if (error.outcome === 'rejected') return ExitCodes.UNAVAILABLE;
  if (error.code === ErrorCodes.CONNECTION_FAILED && !error.retryable && isRefused(error)) {
    return ExitCodes.UNAVAILABLE;
  }
  return ExitCodes.TEMP_FAIL;
}

function isRefused(error: SmtpError): boolean {
  const code = errorCodeOf(error.cause);
  return code === 'ECONNREFUSED' || code === 'ENOTFOUND';
}

/**
 * Which code a run with several outcomes exits with, whatever their order: a bug (70), then what
 * must be fixed before anything can go (78: credentials, TLS), then a temporary failure (75: a retry
 * may help, so it wins over the rest), then a rejection (69), then input that could not be used
 * (66, 64: the other lines went).
 */
const PRECEDENCE: readonly ExitCode[] = [
  ExitCodes.OK,
  ExitCodes.USAGE,
  ExitCodes.NO_INPUT,
  ExitCodes.UNAVAILABLE,
  ExitCodes.TEMP_FAIL,
  ExitCodes.CONFIG,
  ExitCodes.SOFTWARE,
];

/** The exit code of a run with several outcomes (PRECEDENCE). */
export function combineExitCodes(codes: Iterable<ExitCode>): ExitCode {
  let worst: ExitCode = ExitCodes.OK;
  for (const code of codes) if (PRECEDENCE.indexOf(code) > PRECEDENCE.indexOf(worst)) worst = code;
  return worst;
}
