/** The CLI's exit code for an error (sysexits(3)): what a script should do next. */
import { describe, expect, it } from 'vitest';
import { combineExitCodes, ExitCodes, exitCodeForError } from '../../src/cli/exit-codes.js';
import { ErrorCodes } from '../../src/errors/codes.js';
import {
  SmtpConnectionError,
  SmtpError,
  SmtpReplyError,
  SmtpUsageError,
} from '../../src/errors/smtp-error.js';

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

/** A dial's error with Node's errno code as its cause, as the transport builds it. */
function dialFailure(errno: string): SmtpConnectionError {
  return new SmtpConnectionError({
    code: ErrorCodes.CONNECTION_FAILED,
    message: 'x',
    phase: 'connect',
    retryable: false,
    cause: Object.assign(new Error(errno), { code: errno }),
  });
}

describe('exitCodeForError: what a script does next', () => {
  it.each([
    ErrorCodes.AUTH_FAILED,
    ErrorCodes.AUTH_REQUIRED,
    ErrorCodes.AUTH_WITHOUT_TLS,
    ErrorCodes.AUTH_MECHANISM_UNSUPPORTED,
    ErrorCodes.TLS_REQUIRED,
    ErrorCodes.TLS_FAILED,
    ErrorCodes.STARTTLS_INJECTION,
  ])('%s is configuration (78), from the server or not', (code) => {
    expect(exitCodeForError(new SmtpReplyError({ code, message: 'x', outcome: 'not-sent' }))).toBe(
      ExitCodes.CONFIG,
    );
    expect(exitCodeForError(new SmtpConnectionError({ code, message: 'x', retryable: true }))).toBe(
      ExitCodes.CONFIG,
    );
  });

  it.each([
    ErrorCodes.MESSAGE_TOO_LARGE,
    ErrorCodes.TOO_MANY_RECIPIENTS,
    ErrorCodes.BODY_8BIT_NOT_SUPPORTED,
    ErrorCodes.BODY_BINARY_NOT_SUPPORTED,
    ErrorCodes.NON_ASCII_WITHOUT_SMTPUTF8,
  ])('%s, refused locally for this server, is unavailable (69), not usage', (code) => {
    const error = new SmtpError({ code, message: 'x', origin: 'local', outcome: 'not-sent' });
    expect(exitCodeForError(error)).toBe(ExitCodes.UNAVAILABLE);
  });

  it('a 5xx refusal by the server is unavailable (69)', () => {
    const error = new SmtpReplyError({
      code: ErrorCodes.MESSAGE_REJECTED,
      message: 'x',
      phase: 'data-end',
      outcome: 'rejected',
    });
    expect(exitCodeForError(error)).toBe(ExitCodes.UNAVAILABLE);
  });

  it('a send the pool aborted (local, not retryable) is a temporary failure (75), not usage', () => {
    const error = new SmtpError({
      code: ErrorCodes.ABORTED,
      message: 'x',
      origin: 'local',
      outcome: 'not-sent',
    });
    expect(exitCodeForError(error)).toBe(ExitCodes.TEMP_FAIL);
  });

  it('a connection lost after the final dot (unknown: may have been delivered) is 75, not 69', () => {
    const error = new SmtpConnectionError({
      code: ErrorCodes.CONNECTION_CLOSED,
      message: 'x',
      phase: 'data-end',
      outcome: 'unknown',
    });
    expect(exitCodeForError(error)).toBe(ExitCodes.TEMP_FAIL);
  });

  it.each([
    ['ECONNREFUSED', ExitCodes.UNAVAILABLE],
    ['ENOTFOUND', ExitCodes.UNAVAILABLE],
    ['ETIMEDOUT', ExitCodes.TEMP_FAIL],
    ['EHOSTUNREACH', ExitCodes.TEMP_FAIL],
  ] as const)('a dial that failed with %s (the cause) exits %i', (errno, code) => {
    expect(exitCodeForError(dialFailure(errno))).toBe(code);
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

describe("combineExitCodes: the README's order 70, 78, 75, 69, 66, 64", () => {
  const ORDER = [
    ExitCodes.SOFTWARE,
    ExitCodes.CONFIG,
    ExitCodes.TEMP_FAIL,
    ExitCodes.UNAVAILABLE,
    ExitCodes.NO_INPUT,
    ExitCodes.USAGE,
  ] as const;

  it('each code wins over every code after it, and over 0, in either order', () => {
    ORDER.forEach((higher, i) => {
      for (const lower of [...ORDER.slice(i + 1), ExitCodes.OK]) {
        expect(combineExitCodes([higher, lower])).toBe(higher);
        expect(combineExitCodes([lower, higher])).toBe(higher);
      }
    });
  });

  it('a run with no outcomes, or only successes, exits 0', () => {
    expect(combineExitCodes([])).toBe(ExitCodes.OK);
    expect(combineExitCodes([ExitCodes.OK])).toBe(ExitCodes.OK);
  });
});
