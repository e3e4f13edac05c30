import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { encodeQuotedPrintable } from '../../src/message/quoted-printable.js';

/** RFC 2045 §6.7: literal 33-60 and 62-126, =XX in upper-case hex, space and TAB not at a line's end. */
const QP_LINE = /^(?:[\x21-\x3c\x3e-\x7e \t]|=[0-9A-F]{2})*(?:[\x21-\x3c\x3e-\x7e]|=[0-9A-F]{2}|=)?$/;

function decode(encoded: string): string {
  const octets = encoded
    .replace(/=\r\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16)));
  return Buffer.from(octets, 'latin1').toString('utf8');
}

describe('encodeQuotedPrintable (RFC 2045 §6.7)', () => {
  const text = fc.string({
    unit: fc.oneof(
      fc.constantFrom('=', ' ', '\t', '\r', '\n', '\r\n', '\x7f', '\0', 'é', '😀', '=3D', 'a'),
      fc.string({ unit: 'binary', maxLength: 4 }),
    ),
    maxLength: 300,
  });

  test.prop([text], { numRuns: 500 })(
    'every line is well formed and at most 76 characters, and it decodes to the text with CRLF breaks',
    (input) => {
      const encoded = encodeQuotedPrintable(input);
      for (const line of encoded.split('\r\n')) {
        expect(line.length).toBeLessThanOrEqual(76);
        expect(line).toMatch(QP_LINE);
      }
      const wellFormed = input.replace(/[\uD800-\uDFFF]/g, (c, i: number, s: string) =>
        /[\uD800-\uDBFF][\uDC00-\uDFFF]/.test(s.slice(i - 1, i + 1)) ||
        /[\uD800-\uDBFF][\uDC00-\uDFFF]/.test(s.slice(i, i + 2))
          ? c
          : '\uFFFD',
      );
      expect(decode(encoded)).toBe(wellFormed.replace(/\r\n|\r|\n/g, '\r\n'));
    },
  );

  it.each([
    ['an equals sign', 'a=b', 'a=3Db'],
    ['a trailing space', 'a ', 'a=20'],
    ['a trailing TAB', 'a\t', 'a=09'],
    ['a DEL', 'a\x7fb', 'a=7Fb'],
    ['a lone CR (a line break, as in a 7bit part)', 'é\rb', '=C3=A9\r\nb'],
  ])('%s', (_, input, encoded) => {
    expect(encodeQuotedPrintable(input)).toBe(encoded);
  });
});
