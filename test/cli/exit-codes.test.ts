/** The CLI's exit code for an error (sysexits(3)): what a script should do next. */
import { describe, expect, it } from 'vitest';
import { combineExitCodes, ExitCodes, exitCodeForError } from '../../src/cli/exit-codes.js';
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
    [
      'a batch line stopped locally by the SES daily quota (local but retryable: later, not usage)',
      new SmtpError({
        code: ErrorCodes.DAILY_QUOTA_EXCEEDED,
        message: 'x',
        origin: 'local',
        outcome: 'not-sent',
        retryable: true,
      }),
      ExitCodes.TEMP_FAIL,
    ],
    [
      'a full pool queue (local, retryable)',
      new SmtpError({
        code: ErrorCodes.QUEUE_FULL,
        message: 'x',
        origin: 'local',
        outcome: 'not-sent',
        retryable: true,
      }),
      ExitCodes.TEMP_FAIL,
    ],
    [
      'a local refusal that no retry fixes stays usage',
      new SmtpError({
        code: ErrorCodes.INVALID_ARGUMENT,
        message: 'x',
        origin: 'local',
        outcome: 'not-sent',
      }),
      ExitCodes.USAGE,
    ],
    [
      'SMTP_INTERNAL_ERROR stays a bug even when marked retryable',
      new SmtpError({
        code: ErrorCodes.INTERNAL_ERROR,
        message: 'x',
        origin: 'local',
        outcome: 'not-sent',
        retryable: true,
      }),
      ExitCodes.SOFTWARE,
    ],
    [
      'a local credentials stop (not retryable) stays configuration',
      new SmtpError({ code: ErrorCodes.AUTH_FAILED, message: 'x', origin: 'local', outcome: 'not-sent' }),
      ExitCodes.CONFIG,
    ],
  ])('%s', (_name, error, code) => {
    expect(exitCodeForError(error)).toBe(code);
  });
});

describe('combineExitCodes: one code for a run with several outcomes, whatever their order', () => {
  const { OK, USAGE, NO_INPUT, UNAVAILABLE, TEMP_FAIL, CONFIG, SOFTWARE } = ExitCodes;
  it.each([
    [[USAGE, TEMP_FAIL], TEMP_FAIL], // an invalid line does not hide a failure a retry may fix
    [[TEMP_FAIL, UNAVAILABLE], TEMP_FAIL],
    [[UNAVAILABLE, USAGE], UNAVAILABLE],
    [[USAGE, CONFIG], CONFIG], // refused credentials on every message is the news
    [[CONFIG, SOFTWARE], SOFTWARE],
    [[NO_INPUT, USAGE], NO_INPUT],
    [[OK, OK], OK],
  ] as const)('%j → %i (and reversed)', (codes, expected) => {
    expect(combineExitCodes(codes)).toBe(expected);
    expect(combineExitCodes([...codes].reverse())).toBe(expected);
  });
});
