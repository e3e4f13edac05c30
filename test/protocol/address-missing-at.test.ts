import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors/codes.js';
import { SmtpUsageError } from '../../src/errors/smtp-error.js';
import { validateAddress } from '../../src/protocol/address.js';

function refusal(address: string): SmtpUsageError {
  try {
    validateAddress(address, 'to', { allowNull: false, smtputf8: false });
  } catch (error) {
    expect(error).toBeInstanceOf(SmtpUsageError);
    return error as SmtpUsageError;
  }
  throw new Error('expected a refusal');
}

// An address without an '@' is refused for what is wrong with it (no local part followed by '@'),
// not for a later check that happens to fail on what is left (an empty domain, a long "local part").
describe('validateAddress: an address with no @', () => {
  it.each(['user', 'example.com', 'l'.repeat(70), '"quoted"'])('%j says the @ is missing', (address) => {
    const error = refusal(address);
    expect(error.code).toBe(ErrorCodes.INVALID_ADDRESS);
    expect(error.field).toBe('to');
    expect(error.message).toBe('to has no valid local part followed by @');
  });
});
