import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors/codes.js';
import { SmtpUsageError } from '../../src/errors/smtp-error.js';
import { isAddressLiteral, validateAddress } from '../../src/protocol/address.js';

// RFC 5321 §4.1.3: IPv4-address-literal = Snum 3("." Snum); Snum = 1*3DIGIT (0-255). A fourth digit is
// not an Snum even when the value fits ("0255", "0001").
describe('IPv4 address literal: an Snum is one to three digits', () => {
  it.each(['[0255.0.0.1]', '[192.0.2.0001]', '[1.0010.2.3]'])('refuses %s', (literal) => {
    expect(isAddressLiteral(literal)).toBe(false);
    let error: unknown;
    try {
      validateAddress(`a@${literal}`, 'to', { allowNull: false, smtputf8: false });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(SmtpUsageError);
    expect((error as SmtpUsageError).code).toBe(ErrorCodes.INVALID_ADDRESS);
  });

  it.each(['[255.0.0.1]', '[192.0.2.001]', '[0.0.0.0]'])('takes %s', (literal) => {
    expect(isAddressLiteral(literal)).toBe(true);
    expect(() => validateAddress(`a@${literal}`, 'to', { allowNull: false, smtputf8: false })).not.toThrow();
  });
});
