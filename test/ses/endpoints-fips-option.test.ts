import { describe, expect, it } from 'vitest';
import { SmtpUsageError } from '../../src/errors/smtp-error.js';
import { sesSmtpHost } from '../../src/ses/endpoints.js';

// A caller who asks for FIPS with a value that is not a boolean ('true' from an environment variable)
// must not be given the non-FIPS endpoint without a word: a usage error, like every other boolean option.
describe('sesSmtpHost: the fips option', () => {
  it.each(['true', 'false', 1, 0, null])('refuses fips %j, which is not a boolean', (fips) => {
    const call = () => sesSmtpHost('us-east-1', { fips: fips as unknown as boolean });
    expect(call).toThrow(SmtpUsageError);
    expect(call).toThrow(expect.objectContaining({ code: 'SMTP_INVALID_ARGUMENT', field: 'fips' }));
  });

  it.each([null, 'fips', true])('refuses options %j, which are not an object (field options)', (options) => {
    const call = () => sesSmtpHost('us-east-1', options as unknown as { fips?: boolean });
    expect(call).toThrow(SmtpUsageError);
    expect(call).toThrow(expect.objectContaining({ code: 'SMTP_INVALID_ARGUMENT', field: 'options' }));
  });

  it('takes true, false and no value', () => {
    expect(sesSmtpHost('us-east-1', { fips: true })).toBe('email-smtp-fips.us-east-1.amazonaws.com');
    expect(sesSmtpHost('us-east-1', { fips: false })).toBe('email-smtp.us-east-1.amazonaws.com');
    expect(sesSmtpHost('us-east-1', {})).toBe('email-smtp.us-east-1.amazonaws.com');
    expect(sesSmtpHost('us-east-1', { fips: undefined } as unknown as { fips?: boolean })).toBe(
      'email-smtp.us-east-1.amazonaws.com',
    );
  });
});
