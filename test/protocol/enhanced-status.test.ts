import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseEnhancedStatus } from '../../src/protocol/enhanced-status.js';
import type { EnhancedStatus } from '../../src/protocol/reply-types.js';

describe('parseEnhancedStatus (RFC 3463 §2)', () => {
  it.each<[number, string, EnhancedStatus | undefined]>([
    [451, '4.4.2 Timeout waiting for data from client.', { class: 4, subject: 4, detail: 2 }],
    [250, '2.0.0', { class: 2, subject: 0, detail: 0 }],
    [250, '2.0.0 Ok: queued as 12345', { class: 2, subject: 0, detail: 0 }],
    [550, '5.1.1 <x@example.org>: Recipient address rejected', { class: 5, subject: 1, detail: 1 }],
    [554, '5.999.999 max digits', { class: 5, subject: 999, detail: 999 }],
    [421, '4.007.010 leading zeros are digits', { class: 4, subject: 7, detail: 10 }],
    [550, '4.1.1 class differs from the reply code', undefined],
    [250, '5.0.0 class differs', undefined],
    [354, '3.0.0 class 3 does not exist', undefined],
    [250, '2.0', undefined],
    [250, '2.0.', undefined],
    [250, '2..0', undefined],
    [250, '2.0.0.0', undefined],
    [250, '2.1000.0 four digits', undefined],
    [250, '2.0.1000', undefined],
    [250, '2.0.0x', undefined],
    [250, '2.0.0\tTab is not a space', undefined],
    [250, ' 2.0.0 leading space', undefined],
    [250, 'Ok 2.0.0 not at the start', undefined],
    [250, '2.a.0', undefined],
    [250, '2.\u0661.0 arabic-indic digit', undefined],
    [250, '', undefined],
    [2500, '2.0.0 code out of range', undefined],
    [25, '2.0.0 code out of range', undefined],
  ])('%i %j', (code, text, expected) => {
    expect(parseEnhancedStatus(code, text)).toEqual(expected);
  });

  it('returns a frozen value', () => {
    expect(Object.isFrozen(parseEnhancedStatus(250, '2.0.0'))).toBe(true);
  });

  it('round-trips every well-formed code whose class matches the reply code', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(2, 4, 5),
        fc.nat(99),
        fc.nat(999),
        fc.nat(999),
        fc.string({ unit: 'grapheme-ascii' }),
        (klass, rest, subject, detail, tail) => {
          const text = `${klass}.${subject}.${detail}` + (tail === '' ? '' : ` ${tail}`);
          expect(parseEnhancedStatus(klass * 100 + rest, text)).toEqual({ class: klass, subject, detail });
          const other = klass === 2 ? 5 : 2;
          expect(parseEnhancedStatus(other * 100 + rest, text)).toBeUndefined();
        },
      ),
      { numRuns: 300 },
    );
  });

  it('answers as the pattern it scans for, for any text and code', () => {
    const pattern = /^([245])\.([0-9]{1,3})\.([0-9]{1,3})(?: |$)/;
    const byPattern = (code: number, text: string): EnhancedStatus | undefined => {
      const match = pattern.exec(text);
      if (match === null || Number(match[1]) !== Math.trunc(code / 100)) return undefined;
      return {
        class: Number(match[1]) as EnhancedStatus['class'],
        subject: Number(match[2]),
        detail: Number(match[3]),
      };
    };
    const piece = fc.constantFrom(
      '2',
      '4',
      '5',
      '3',
      '0',
      '9',
      '00',
      '999',
      '1000',
      '.',
      ' ',
      '\t',
      'x',
      '\u0661',
      '',
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1000 }),
        fc.oneof(
          fc.array(piece, { maxLength: 8 }).map((pieces) => pieces.join('')),
          fc.string(),
        ),
        (code, text) => {
          expect(parseEnhancedStatus(code, text)).toEqual(byPattern(code, text));
        },
      ),
      { numRuns: 5000 },
    );
  });
});
