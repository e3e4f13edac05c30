/** The CLI's exit code for an error (sysexits(3)): what a script should do next. */
import { describe, expect, it } from 'vitest';
import { ExitCodes, exitCodeForError } from '../../src/cli/exit-codes.js';
import { ErrorCodes } from '../../src/errors/codes.js';
import { SmtpConnectionError, SmtpError, SmtpUsageError } from '../../src/errors/smtp-error.js';

describe('exitCodeForError', () => {
  it.each([
    ['not an SmtpError (a bug)', new TypeError('x'), ExitCodes.SOFTWARE],
    [
      'SMTP_INTERNAL_ERROR, even a local one (a bug, e.g. a client factory that threw)',
      new SmtpError({ code: ErrorCodes.INTERNAL_ERROR, message: 'x', origin: 'local', outcome: 'not-sent' }),
      ExitCodes.SOFTWARE,
    ],
    [
      'a usage error',
      new SmtpUsageError({ code: ErrorCodes.INVALID_ADDRESS, field: 'from', message: 'from: bad' }),
      ExitCodes.USAGE,
    ],
    [
      'a certificate failure',
      new SmtpConnectionError({ code: ErrorCodes.TLS_FAILED, message: 'x', phase: 'tls', retryable: false }),
      ExitCodes.CONFIG,
    ],
    [
      'a connection lost during the TLS handshake',
      new SmtpConnectionError({
        code: ErrorCodes.CONNECTION_CLOSED,
        message: 'x',
        phase: 'tls',
        retryable: true,
      }),
      ExitCodes.TEMP_FAIL,
    ],
  ])('%s', (_name, error, code) => {
    expect(exitCodeForError(error)).toBe(code);
  });
});
