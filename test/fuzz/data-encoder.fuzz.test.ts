/**
 * Fuzzes the DATA encoder (RFC 5321 §4.5.2 dot-stuffing, §2.3.8 line endings, §4.5.3.1.6 line
 * length) at the byte level: chunking invariance (errors included), exactly one terminator, no bare
 * CR or LF on the wire, un-stuffing gives back the normalised input (an independent reference),
 * and only SmtpUsageError with a body code is ever thrown (threats.md §2). Also in the BDAT form
 * (RFC 3030 §2: no stuffing, no terminator) and at every alignment of the input in its buffer (the
 * word-at-a-time scan reads 4-octet words).
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { ErrorCodes } from '../../src/errors/codes.js';
import { SmtpUsageError } from '../../src/errors/smtp-error.js';
import { DataEncoder, type DataEncoderOptions, encodeData } from '../../src/protocol/data-encoder.js';
import { SMUGGLING_VECTORS } from '../support/smuggling-vectors.js';
import { concat, cutsArbitrary, fuzzParameters, split, testTimeout } from './fuzz-options.js';

const CR = 0x0d;
const LF = 0x0a;
const DOT = 0x2e;
const bytesOf = (text: string) => Uint8Array.from(text, (ch) => ch.charCodeAt(0) & 0xff);

const VECTORS = [...SMUGGLING_VECTORS, '\r\n\x00.\r\n', '\r\n.\x00\r\n'];

const token = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.constantFrom('\r', '\n', '.', '\r\n', '\r\n.', '.\r\n', '..', '\r\r', '\n\n', 'a', 'b c'),
  },
  { weight: 2, arbitrary: fc.constantFrom(...VECTORS) },
  { weight: 2, arbitrary: fc.string({ maxLength: 8 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 60 }).map((n) => 'x'.repeat(n)) },
  { weight: 1, arbitrary: fc.constantFrom('\u00e9', '\u00ff', '\u0080') },
  { weight: 1, arbitrary: fc.constant('\x00') },
);

const body = fc.oneof(
  { weight: 4, arbitrary: fc.array(token, { maxLength: 30 }).map((tokens) => bytesOf(tokens.join(''))) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }) },
);

const options: fc.Arbitrary<DataEncoderOptions> = fc.record(
  {
    lineEndings: fc.constantFrom('normalize' as const, 'strict' as const),
    maxLineOctets: fc.oneof(
      fc.constant(998),
      fc.integer({ min: 1, max: 40 }),
      fc.constant(Number.POSITIVE_INFINITY),
    ),
    dotStuffing: fc.boolean(),
    terminator: fc.boolean(),
  },
  { requiredKeys: [] },
);

const BODY_CODES: readonly string[] = [
  ErrorCodes.BODY_NUL,
  ErrorCodes.BODY_LINE_TOO_LONG,
  ErrorCodes.BODY_BARE_LINE_ENDING,
];

type Encoded =
  | { ok: true; bytes: Uint8Array; has8bit: boolean; octets: number }
  | { ok: false; code: string };

function capture(work: () => { bytes: Uint8Array; has8bit: boolean; octets: number }): Encoded {
  try {
    return { ok: true, ...work() };
  } catch (error) {
    if (!(error instanceof SmtpUsageError)) throw error;
    expect(BODY_CODES).toContain(error.code);
    return { ok: false, code: error.code };
  }
}

/** `input` copied `pad` octets into a larger buffer: the encoder sees every word alignment. */
function misaligned(input: Uint8Array, pad: number): Uint8Array {
  const buffer = new Uint8Array(input.length + 8);
  buffer.set(input, pad);
  return buffer.subarray(pad, pad + input.length);
}

function encodeChunked(chunks: readonly Uint8Array[], opts: DataEncoderOptions): Encoded {
  return capture(() => {
    const encoder = new DataEncoder(opts);
    const parts = chunks.map((chunk) => Uint8Array.from(encoder.push(chunk)));
    parts.push(Uint8Array.from(encoder.end()));
    const bytes = concat(parts);
    return { bytes, has8bit: encoder.has8bit, octets: encoder.encodedOctets };
  });
}

/** The independent reference: which errors apply, and the normalised lines. */
function reference(input: Uint8Array, opts: DataEncoderOptions) {
  const text = String.fromCharCode(...input);
  // An empty body is an empty message (just the terminator); a final line break ends the last line.
  const lines = text === '' ? [] : text.split(/\r\n|\r|\n/);
  if (/[\r\n]$/.test(text)) lines.pop();
  const max = opts.maxLineOctets ?? 998;
  const errors = new Set<string>();
  if (input.includes(0)) errors.add(ErrorCodes.BODY_NUL);
  if (lines.some((line) => line.length > max)) errors.add(ErrorCodes.BODY_LINE_TOO_LONG);
  if (opts.lineEndings === 'strict' && /\r(?!\n)|(?<!\r)\n/.test(text))
    errors.add(ErrorCodes.BODY_BARE_LINE_ENDING);
  const normalised = lines.map((line) => `${line}\r\n`).join('');
  return { errors, normalised, has8bit: input.some((b) => b >= 0x80) };
}

/** Checks the wire form and returns the message it carries (un-stuffed, terminator removed). */
function unstuff(wire: Uint8Array, opts: DataEncoderOptions): string {
  const text = String.fromCharCode(...wire);
  const stuffed = opts.dotStuffing !== false;
  const terminated = opts.terminator !== false;
  // No bare CR or LF anywhere on the wire.
  expect(/\r(?!\n)|(?<!\r)\n/.test(text)).toBe(false);
  let inner = text;
  if (terminated) {
    // Exactly one terminator, at the very end: nothing the caller sent can end the DATA early.
    expect(text === '.\r\n' || text.endsWith('\r\n.\r\n')).toBe(true);
    inner = text.slice(0, -3);
  } else {
    // BDAT: the lines as they are, each ended by CRLF, nothing after them.
    expect(text === '' || text.endsWith('\r\n')).toBe(true);
  }
  const lines = inner === '' ? [] : inner.slice(0, -2).split('\r\n');
  if (stuffed) for (const line of lines) expect(line).not.toBe('.');
  return lines.map((line) => `${stuffed && line.startsWith('.') ? line.slice(1) : line}\r\n`).join('');
}

describe('data encoder fuzz', () => {
  test(
    'chunking-invariant, terminated once, no bare CR/LF, round-trips to the normalised body; only body usage errors',
    () => {
      fc.assert(
        fc.property(body, cutsArbitrary, options, fc.nat(7), (input, cuts, opts, pad) => {
          const whole = capture(() => {
            const { bytes, has8bit } = encodeData(input, opts);
            return { bytes: Uint8Array.from(bytes), has8bit, octets: bytes.length };
          });
          const chunked = encodeChunked(split(misaligned(input, pad), cuts), opts);
          expect(chunked).toEqual(whole);
          const expected = reference(input, opts);
          if (!whole.ok) {
            expect(expected.errors.has(whole.code)).toBe(true);
            return;
          }
          expect([...expected.errors]).toEqual([]);
          expect(whole.has8bit).toBe(expected.has8bit);
          if (chunked.ok) expect(chunked.octets).toBe(chunked.bytes.length);
          expect(unstuff(whole.bytes, opts)).toBe(expected.normalised);
          // Every dot at a line start was stuffed: a line starting with '.' is never the terminator.
          if (opts.terminator !== false) expect(whole.bytes[whole.bytes.length - 3]).toBe(DOT);
          expect(whole.bytes.filter((b) => b === CR).length).toBe(whole.bytes.filter((b) => b === LF).length);
        }),
        fuzzParameters(),
      );
    },
    testTimeout(),
  );

  test(
    'a failed encoder stays failed; after end() nothing more is accepted',
    () => {
      fc.assert(
        fc.property(body, options, (input, opts) => {
          const encoder = new DataEncoder(opts);
          let failed: unknown;
          try {
            encoder.push(input);
            encoder.end();
          } catch (error) {
            failed = error;
          }
          const next = () => encoder.push(bytesOf('more'));
          if (failed === undefined) {
            expect(next).toThrow(SmtpUsageError);
          } else {
            expect(failed).toBeInstanceOf(SmtpUsageError);
            expect(next).toThrow(failed as Error);
          }
        }),
        fuzzParameters(500),
      );
    },
    testTimeout(),
  );
});
