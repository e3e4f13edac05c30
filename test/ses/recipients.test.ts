import { describe, expect, it } from 'vitest';
import { SmtpUsageError } from '../../src/errors/smtp-error.js';
import { checkSesRecipientCount, SES_MAX_RECIPIENTS } from '../../src/ses/recipients.js';

describe('checkSesRecipientCount', () => {
  it('allows up to 50', () => {
    expect(SES_MAX_RECIPIENTS).toBe(50);
    for (const count of [0, 1, 49, 50]) expect(() => checkSesRecipientCount(count)).not.toThrow();
  });

  it.each([51, 100, 10_000])('refuses %d with SMTP_TOO_MANY_RECIPIENTS before anything is sent', (count) => {
    expect(() => checkSesRecipientCount(count)).toThrow(SmtpUsageError);
    expect(() => checkSesRecipientCount(count)).toThrow(
      expect.objectContaining({
        code: 'SMTP_TOO_MANY_RECIPIENTS',
        outcome: 'not-sent',
        retryable: false,
      }),
    );
  });

  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('refuses %d as a count', (count) => {
    expect(() => checkSesRecipientCount(count)).toThrow(
      expect.objectContaining({ code: 'SMTP_INVALID_ARGUMENT' }),
    );
  });
});
