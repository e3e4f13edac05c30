import { describe, expect, it } from 'vitest';
import { DataEncoder, encodeData, scanCleanData } from '../../src/protocol/data-encoder.js';

const bytes = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));

// RFC 5321 §4.5.3.1.6: a line of exactly the limit is allowed. The scan-only path must agree with the
// full encoder at that boundary when the line ends in CRLF too (not only for an unterminated last
// line): such a body needs no change, so scanCleanData is defined and push() returns the chunk itself.
describe('the scan-only path takes a CRLF-ended line of exactly the limit', () => {
  it.each([1, 2, 3, 4, 5, 7, 8, 79, 998])('maxLineOctets %i', (max) => {
    const exact = bytes(`${'x'.repeat(max)}\r\ny\r\n`);
    expect(scanCleanData(exact, max)?.tail).toEqual(bytes('.\r\n'));
    expect(encodeData(exact, { maxLineOctets: max }).bytes).toEqual(
      bytes(`${'x'.repeat(max)}\r\ny\r\n.\r\n`),
    );
    const encoder = new DataEncoder({ maxLineOctets: max });
    expect(encoder.push(exact)).toBe(exact); // no copy

    const over = bytes(`${'x'.repeat(max + 1)}\r\n`);
    expect(scanCleanData(over, max)).toBeUndefined();
  });

  it('at the default limit of 998', () => {
    expect(scanCleanData(bytes(`${'x'.repeat(998)}\r\n`))).toBeDefined();
    expect(scanCleanData(bytes(`${'x'.repeat(999)}\r\n`))).toBeUndefined();
  });
});
