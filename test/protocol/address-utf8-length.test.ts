import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors/codes.js';
import { SmtpUsageError } from '../../src/errors/smtp-error.js';
import { utf8Length, validateAddress } from '../../src/protocol/address.js';

const UTF8 = { allowNull: false, smtputf8: true };

function refusalCode(address: string): unknown {
  try {
    validateAddress(address, 'to', UTF8);
  } catch (error) {
    expect(error).toBeInstanceOf(SmtpUsageError);
    return (error as SmtpUsageError).code;
  }
  return undefined;
}

// RFC 5321 §4.5.3.1 limits are in octets, and an SMTPUTF8 address goes on the wire as UTF-8 (RFC 6531):
// a character outside the BMP is 2 UTF-16 units but 4 octets.
describe('utf8Length: octets of the UTF-8 encoding', () => {
  test.prop([fc.string({ unit: 'binary', maxLength: 40 })], { numRuns: 1000 })(
    'is the length TextEncoder gives, for any well-formed string',
    (text) => {
      expect(utf8Length(text)).toBe(new TextEncoder().encode(text).length);
    },
  );

  it.each([
    ['\u007f', 1],
    ['\u0080', 2],
    ['\u07ff', 2],
    ['\u0800', 3],
    ['\uffff', 3],
    ['\u{10000}', 4],
    ['\u{10ffff}', 4],
  ])('%j is %i octets (the boundaries between 1, 2, 3 and 4)', (char, octets) => {
    expect(utf8Length(char)).toBe(octets);
  });

  it('counts a character outside the BMP as 4 octets', () => {
    expect(utf8Length('😀')).toBe(4);
    expect(utf8Length('a😀é€')).toBe(1 + 4 + 2 + 3);
  });
});

describe('validateAddress: the octet limits hold for characters outside the BMP', () => {
  it('takes a 64-octet local part of 16 emoji and refuses 17 (68 octets)', () => {
    expect(refusalCode(`${'😀'.repeat(16)}@example.com`)).toBeUndefined();
    expect(refusalCode(`${'😀'.repeat(17)}@example.com`)).toBe(ErrorCodes.INVALID_ADDRESS);
  });

  it('refuses a path of 205 UTF-16 units but 405 octets', () => {
    const address = `a@${Array(4).fill('😀'.repeat(25)).join('.')}`;
    expect(address.length + 2).toBeLessThanOrEqual(256);
    expect(refusalCode(address)).toBe(ErrorCodes.INVALID_ADDRESS);
  });

  it('refuses a path over 256 octets whose local part and domain each fit (2-octet characters)', () => {
    // 64 + 1 + 239 = 304 octets in 32 + 1 + 127 = 160 UTF-16 units.
    const domain = [...Array(7).fill('ü'.repeat(16)), 'ü'.repeat(7)].join('.');
    expect(utf8Length(domain)).toBeLessThanOrEqual(255);
    const address = `${'é'.repeat(32)}@${domain}`;
    expect(address.length + 2).toBeLessThanOrEqual(256);
    expect(utf8Length(address) + 2).toBeGreaterThan(256);
    expect(refusalCode(address)).toBe(ErrorCodes.INVALID_ADDRESS);
  });
});
