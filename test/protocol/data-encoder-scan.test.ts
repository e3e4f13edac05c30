// The scan-only path of the DATA encoder (RFC 5321 §4.5.2, §2.3.8, §4.5.3.1.6): when it says a body
// needs no change, body + tail is byte for byte what the full encoder produces; and it says so for
// every body the full encoder leaves unchanged (exact in both directions, at any alignment).
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  DataEncoder,
  type DataEncoderOptions,
  encodeData,
  scanCleanData,
} from '../../src/protocol/data-encoder.js';

const bytes = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** The full encoder's answer, or the error code it threw. */
function full(body: Uint8Array, maxLineOctets: number, options: DataEncoderOptions = { maxLineOctets }) {
  try {
    return encodeData(body, options);
  } catch (error) {
    return { error: (error as { code: string }).code };
  }
}

const endsWithCrlf = (body: Uint8Array): boolean =>
  body.length >= 2 && body[body.length - 2] === 13 && body[body.length - 1] === 10;

/** Bodies rich in the octets that matter: CR, LF, '.', NUL, 8-bit, and runs of plain text. */
const piece = fc.oneof(
  fc.constantFrom('\r\n', '\r', '\n', '.', '\0', '\x80', '\xff', 'a', ' ', '\t', '\r\n.', '..'),
  fc.string({ unit: fc.constantFrom('x', 'y', 'z', '.', '\t'), minLength: 0, maxLength: 40 }),
);
const body = fc.array(piece, { maxLength: 40 }).map((parts) => bytes(parts.join('')));

describe('scanCleanData', () => {
  test.prop([body, fc.integer({ min: 1, max: 60 }), fc.integer({ min: 0, max: 7 })], { numRuns: 1000 })(
    'defined exactly when the full encoder leaves the body unchanged; then body + tail is its output',
    (input, maxLineOctets, offset) => {
      // Any alignment: the word scan starts at the first 4-aligned octet of the view.
      const backing = new Uint8Array(input.length + offset);
      backing.set(input, offset);
      const view = backing.subarray(offset);
      const scan = scanCleanData(view, maxLineOctets);
      const encoded = full(view, maxLineOctets);
      const unchanged =
        'bytes' in encoded &&
        encoded.stuffedOctets === 0 &&
        Buffer.from(encoded.bytes).equals(
          Buffer.concat([view, Buffer.from(endsWithCrlf(view) || view.length === 0 ? '.\r\n' : '\r\n.\r\n')]),
        );
      expect(scan !== undefined).toBe(unchanged);
      if (scan === undefined || !('bytes' in encoded)) return;
      expect(concat(view, scan.tail)).toEqual(encoded.bytes);
      expect(scan.has8bit).toBe(encoded.has8bit);
    },
  );

  it('names the cases', () => {
    expect(scanCleanData(bytes(''))?.tail).toEqual(bytes('.\r\n'));
    expect(scanCleanData(bytes('a\r\nb\r\n'))?.tail).toEqual(bytes('.\r\n'));
    expect(scanCleanData(bytes('a\r\nb'))?.tail).toEqual(bytes('\r\n.\r\n'));
    expect(scanCleanData(bytes('\xe9\r\n'))?.has8bit).toBe(true);
    for (const changed of ['.a', 'a\r\n.b', 'a\nb', 'a\rb', 'a\r', 'a\0b', 'x'.repeat(999)]) {
      expect(scanCleanData(bytes(changed)), JSON.stringify(changed)).toBeUndefined();
    }
    expect(scanCleanData(bytes('x'.repeat(998)))).toBeDefined();
  });

  it('a 1 MB body of 80-octet CRLF lines is clean, with the 4-octet word skip at every alignment', () => {
    const line = `${'m'.repeat(78)}\r\n`;
    const big = bytes(line.repeat(13_000));
    for (let offset = 0; offset < 4; offset++) {
      const backing = new Uint8Array(big.length + offset);
      backing.set(big, offset);
      expect(scanCleanData(backing.subarray(offset))?.tail).toEqual(bytes('.\r\n'));
      backing[offset + 80 * 6000] = 0x2e; // a line now starts with '.'
      expect(scanCleanData(backing.subarray(offset))).toBeUndefined();
    }
  });

  // The encoder's push returns a chunk that needs no change as is (no copy); chunked output must
  // still equal the one-shot encoding, for DATA and for BDAT data (no stuffing, no terminator).
  const mostlyClean = fc
    .array(
      fc.oneof(
        { weight: 8, arbitrary: fc.constantFrom('abc\r\n', 'xyz', '\r\n', 'long line here ') },
        { weight: 1, arbitrary: fc.constantFrom('.', '\r', '\n', '\r\n.', '\x80') },
      ),
      { maxLength: 30 },
    )
    .map((parts) => bytes(parts.join('')));
  test.prop(
    [mostlyClean, fc.array(fc.nat(), { maxLength: 6 }), fc.integer({ min: 4, max: 30 }), fc.boolean()],
    { numRuns: 1000 },
  )('push in any chunks equals the one-shot encoding (no-copy chunks included)', (input, cuts, max, bdat) => {
    const options = bdat
      ? { maxLineOctets: max, dotStuffing: false, terminator: false }
      : { maxLineOctets: max };
    const once = full(input, max, options);
    const points = [...new Set(cuts.map((c) => c % (input.length + 1)))].sort((a, b) => a - b);
    const encoder = new DataEncoder(options);
    let streamed: { bytes: Uint8Array; has8bit: boolean } | { error: string };
    try {
      const parts: Uint8Array[] = [];
      let from = 0;
      for (const at of [...points, input.length]) {
        parts.push(Uint8Array.from(encoder.push(input.subarray(from, at))));
        from = at;
      }
      parts.push(encoder.end());
      streamed = { bytes: Buffer.concat(parts), has8bit: encoder.has8bit };
    } catch (error) {
      streamed = { error: (error as { code: string }).code };
    }
    if ('error' in once) expect(streamed).toEqual(once);
    else expect(streamed).toEqual({ bytes: Buffer.from(once.bytes), has8bit: once.has8bit });
  });
});
