import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors/codes.js';
import { DataEncoder, encodeData } from '../../src/protocol/data-encoder.js';

const bytes = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));
const text = (data: Uint8Array): string => String.fromCharCode(...data);

function codeOf(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return (error as { code?: unknown }).code;
  }
  return undefined;
}

// RFC 5321 §4.5.3.1.6: the limit counts the line's octets without its ending. A line ended by a bare
// LF or a bare CR (normalised to CRLF) may be exactly the limit long, like one ended by CRLF, in one
// piece or streamed octet by octet; one octet more is refused.
describe('a line ended by a bare LF or bare CR: the same limit as CRLF', () => {
  it.each([1, 2, 3, 4, 5, 8, 998])('maxLineOctets %i', (max) => {
    for (const ending of ['\n', '\r']) {
      const exact = `${'x'.repeat(max)}${ending}y`;
      const expected = `${'x'.repeat(max)}\r\ny\r\n.\r\n`;
      expect(text(encodeData(bytes(exact), { maxLineOctets: max }).bytes)).toBe(expected);
      const encoder = new DataEncoder({ maxLineOctets: max });
      const streamed = [...exact].map((c) => text(encoder.push(bytes(c)))).join('') + text(encoder.end());
      expect(streamed).toBe(expected);

      const over = bytes(`${'x'.repeat(max + 1)}${ending}y`);
      expect(codeOf(() => encodeData(over, { maxLineOctets: max }))).toBe(ErrorCodes.BODY_LINE_TOO_LONG);
    }
  });
});
