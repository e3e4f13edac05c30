import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors/codes.js';
import { SmtpUsageError } from '../../src/errors/smtp-error.js';
import { isWellFormedUnicode, validateAddress } from '../../src/protocol/address.js';

/** A string is well-formed exactly when UTF-8 round-trips it (a lone surrogate becomes U+FFFD). */
const roundTrips = (text: string): boolean =>
  new TextDecoder().decode(new TextEncoder().encode(text)) === text;

// Surrogates in every order: pairs, lone highs, lone lows, low-then-high, next to BMP characters
// on both sides of the surrogate block (U+D7FF, U+E000).
const unit = fc.constantFrom(
  '\ud83d',
  '\ude00',
  '\ud800',
  '\udc00',
  '\udbff',
  '\udfff',
  '\ud7ff',
  '\ue000',
  'a',
  'é',
);
const text = fc.array(unit, { maxLength: 8 }).map((units) => units.join(''));

describe('isWellFormedUnicode', () => {
  test.prop([text], { numRuns: 2000 })('is true exactly for strings without a lone surrogate', (value) => {
    expect(isWellFormedUnicode(value)).toBe(roundTrips(value));
  });

  it.each([
    ['two lone lows', '\udc00\udc00', false],
    ['a high before U+E000', '\ud800\ue000', false],
    ['low then high', '\ude00\ud83d', false],
    ['a pair', '\ud83d\ude00', true],
  ])('%s → %s', (_name, value, expected) => {
    expect(isWellFormedUnicode(value)).toBe(expected);
  });
});

describe('validateAddress refuses lone surrogates in any arrangement (SMTPUTF8)', () => {
  it.each(['\udc00\udc00@example.com', 'a\ud800\ue000@example.com', '"\udfff\udfff"@example.com'])(
    '%j',
    (address) => {
      let error: unknown;
      try {
        validateAddress(address, 'to', { allowNull: false, smtputf8: true });
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(SmtpUsageError);
      expect((error as SmtpUsageError).code).toBe(ErrorCodes.INVALID_ADDRESS);
    },
  );
});
