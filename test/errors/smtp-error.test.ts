import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  SmtpConnectionError,
  SmtpError,
  SmtpTimeoutError,
  SmtpUsageError,
} from '../../src/errors/smtp-error.js';

describe('SmtpError', () => {
  it('usage errors are local, not sent and never retryable', () => {
    const error = new SmtpUsageError({
      code: 'SMTP_INVALID_ADDRESS',
      message: 'bad address in to[0]',
      field: 'to[0]',
    });
    expect(error).toBeInstanceOf(SmtpError);
    expect(error).toMatchObject({ origin: 'local', outcome: 'not-sent', retryable: false, field: 'to[0]' });
    expect(error.name).toBe('SmtpUsageError');
  });

  it('timeouts carry the phase and keep the outcome they are given', () => {
    const error = new SmtpTimeoutError({
      message: 'no reply to the final dot',
      phase: 'data-end',
      outcome: 'unknown',
    });
    expect(error).toMatchObject({
      code: 'SMTP_TIMEOUT',
      origin: 'network',
      outcome: 'unknown',
      phase: 'data-end',
    });
  });

  it('serialises to JSON without a stack and with its cause kept out', () => {
    const error = new SmtpConnectionError({
      code: 'SMTP_CONNECTION_CLOSED',
      message: 'closed',
      cause: new Error('ECONNRESET'),
    });
    const json = JSON.parse(JSON.stringify(error));
    expect(json).toMatchObject({ code: 'SMTP_CONNECTION_CLOSED', outcome: 'not-sent' });
    expect(JSON.stringify(error)).not.toContain('ECONNRESET');
    expect(inspect(error)).toContain('SMTP_CONNECTION_CLOSED');
  });

  it('is never retryable unless the outcome is not-sent (a resend could duplicate mail)', () => {
    for (const outcome of ['unknown', 'rejected'] as const) {
      const error = new SmtpConnectionError({
        code: 'SMTP_CONNECTION_CLOSED',
        message: 'x',
        outcome,
        retryable: true,
      });
      expect(error.retryable).toBe(false);
    }
    expect(
      new SmtpConnectionError({ code: 'SMTP_CONNECTION_CLOSED', message: 'x', retryable: true }).retryable,
    ).toBe(true);
  });
});
