/**
 * Each SmtpError subclass fixes who broke the rules (`origin`), and toJSON is the exact, secret-free
 * view logs and the CLI print: every documented field, no stack, no cause.
 */
import { describe, expect, it } from 'vitest';
import {
  isSmtpError,
  SmtpConnectionError,
  type SmtpError,
  SmtpProtocolError,
  SmtpReplyError,
  SmtpTimeoutError,
  SmtpUsageError,
} from '../../src/errors/smtp-error.js';

describe('SmtpError kinds', () => {
  it.each<[SmtpError, string, string]>([
    [new SmtpUsageError({ code: 'SMTP_INVALID_ARGUMENT', message: 'x' }), 'SmtpUsageError', 'local'],
    [new SmtpProtocolError({ code: 'SMTP_REPLY_MALFORMED', message: 'x' }), 'SmtpProtocolError', 'remote'],
    [new SmtpReplyError({ code: 'SMTP_SENDER_REJECTED', message: 'x' }), 'SmtpReplyError', 'remote'],
    [
      new SmtpConnectionError({ code: 'SMTP_CONNECTION_CLOSED', message: 'x' }),
      'SmtpConnectionError',
      'network',
    ],
    [new SmtpTimeoutError({ message: 'x' }), 'SmtpTimeoutError', 'network'],
  ])('%s is a %s from %s', (error, name, origin) => {
    expect(error.name).toBe(name);
    expect(error.origin).toBe(origin);
    expect(isSmtpError(error)).toBe(true);
  });

  it('isSmtpError is false for any other error', () => {
    expect(isSmtpError(new Error('x'))).toBe(false);
    expect(isSmtpError({ code: 'SMTP_TIMEOUT' })).toBe(false);
  });

  it('toJSON holds exactly the documented fields: no stack, no cause', () => {
    const reply = { code: 550, lines: ['no'] };
    const error = new SmtpReplyError({
      code: 'SMTP_ALL_RECIPIENTS_REJECTED',
      message: 'every recipient refused',
      outcome: 'rejected',
      phase: 'rcpt',
      reply,
      field: 'to',
      rejectedRecipients: [{ recipient: 'a@example.test', reply }],
      cause: new Error('inner'),
    });
    expect(error.toJSON()).toEqual({
      name: 'SmtpReplyError',
      code: 'SMTP_ALL_RECIPIENTS_REJECTED',
      message: 'every recipient refused',
      origin: 'remote',
      outcome: 'rejected',
      phase: 'rcpt',
      retryable: false,
      field: 'to',
      reply,
      rejectedRecipients: [{ recipient: 'a@example.test', reply }],
    });
  });
});
