// Tests for the DATA encoder (RFC 5321 §4.5.2, §2.3.8, §4.5.3.1.6): smuggling vectors, limits, and
// properties (chunking invariance, round trip, one terminator) over byte-level arbitraries.
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors/codes.js';
import { SmtpUsageError } from '../../src/errors/smtp-error.js';
import {
  DataEncoder,
  type DataEncoderOptions,
  encodeData,
  unstuffData,
} from '../../src/protocol/data-encoder.js';
import { SMUGGLING_VECTORS } from '../support/smuggling-vectors.js';

const te = new TextEncoder();
const td = new TextDecoder('latin1');
const bytes = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));
const text = (data: Uint8Array): string => td.decode(data);
const encode = (body: string, options?: DataEncoderOptions): string =>
  text(encodeData(bytes(body), options).bytes);

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Streams `body` split at `cuts` (subarrays keep odd byte offsets, exercising the unaligned paths). */
function encodeChunked(body: Uint8Array, cuts: readonly number[], options?: DataEncoderOptions) {
  const encoder = new DataEncoder(options);
  const parts: Uint8Array[] = [];
  let from = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    parts.push(encoder.push(body.subarray(from, cut)));
    from = cut;
  }
  parts.push(encoder.push(body.subarray(from)));
  parts.push(encoder.end());
  const out = concat(parts);
  expect(encoder.encodedOctets).toBe(out.length);
  return { bytes: out, has8bit: encoder.has8bit };
}

/** The outcome of an encoding: its bytes, or the code of the error it threw. */
function outcome(run: () => { bytes: Uint8Array }): string {
  try {
    return `ok:${text(run().bytes)}`;
  } catch (error) {
    if (!(error instanceof SmtpUsageError)) throw error;
    return `error:${error.code}`;
  }
}

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(SmtpUsageError);
    return (error as SmtpUsageError).code;
  }
  return undefined;
}

/** Independent, obviously-correct model of normalisation: CRLF, bare CR and bare LF all become CRLF. */
function normalised(body: string): string {
  let out = body.replace(/\r\n|\r|\n/g, '\r\n');
  if (out.length > 0 && !out.endsWith('\r\n')) out += '\r\n';
  return out;
}

const occurrences = (haystack: string, needle: string): number => haystack.split(needle).length - 1;
const hasBareCrOrLf = (wire: string): boolean => /\r(?!\n)|(?<!\r)\n/.test(wire);

describe('encodeData: SMTP smuggling vectors (threats.md §2)', () => {
  const wrap = (vector: string): string =>
    `Subject: hi\r\n\r\nbefore${vector}MAIL FROM:<x@evil.example>\r\nafter`;

  it.each(SMUGGLING_VECTORS)('%j cannot end the message early, one-shot or byte by byte', (vector) => {
    const body = bytes(wrap(vector));
    const oneShot = text(encodeData(body).bytes);
    const byteByByte = text(encodeChunked(body, [...body.keys()]).bytes);
    expect(byteByByte).toBe(oneShot);
    expect(occurrences(oneShot, '\r\n.\r\n')).toBe(1);
    expect(oneShot.endsWith('after\r\n.\r\n')).toBe(true);
    expect(hasBareCrOrLf(oneShot)).toBe(false);
  });

  it.each(SMUGGLING_VECTORS)('%j as the whole body is stuffed and terminated once', (vector) => {
    const wire = encode(vector);
    expect(occurrences(`\r\n${wire}`, '\r\n.\r\n')).toBe(1);
    expect(wire.endsWith('\r\n.\r\n')).toBe(true);
    expect(hasBareCrOrLf(wire)).toBe(false);
  });

  it('normalises \\r\\r\\n.\\r\\r\\n to empty lines around a stuffed dot', () => {
    expect(encode('a\r\r\n.\r\r\nb')).toBe('a\r\n\r\n..\r\n\r\nb\r\n.\r\n');
  });

  it.each(['\r\n\x00.\r\n', '\r\n.\x00\r\n'])('%j is refused as a NUL, in any chunking', (vector) => {
    const body = bytes(wrap(vector));
    expect(codeOf(() => encodeData(body))).toBe(ErrorCodes.BODY_NUL);
    expect(codeOf(() => encodeChunked(body, [...body.keys()]))).toBe(ErrorCodes.BODY_NUL);
    try {
      encodeData(body);
    } catch (error) {
      expect((error as SmtpUsageError).field).toBe('message');
      expect((error as SmtpUsageError).origin).toBe('local');
    }
  });

  it("matches CPython smtplib's transparency example", () => {
    expect(encode('abc\n.jkl\rfoo\r\n..blue')).toBe('abc\r\n..jkl\r\nfoo\r\n...blue\r\n.\r\n');
  });
});

describe('encodeData: lines and terminator', () => {
  it.each([
    ['', '.\r\n'],
    ['.', '..\r\n.\r\n'],
    ['.hidden\r\n', '..hidden\r\n.\r\n'],
    ['no newline', 'no newline\r\n.\r\n'],
    ['ends in CR\r', 'ends in CR\r\n.\r\n'],
    ['ends in LF\n', 'ends in LF\r\n.\r\n'],
    ['\r\n', '\r\n.\r\n'],
    ['a\r\n\r\n.\r\n', 'a\r\n\r\n..\r\n.\r\n'],
    ['x.\r\n .y\r\n', 'x.\r\n .y\r\n.\r\n'],
  ])('%j → %j', (body, wire) => {
    expect(encode(body)).toBe(wire);
  });

  it('accepts 998-octet lines and refuses 999-octet ones, whatever the chunking', () => {
    expect(encode('a'.repeat(998))).toBe(`${'a'.repeat(998)}\r\n.\r\n`);
    expect(encode(`${'a'.repeat(998)}\r\nb`)).toBe(`${'a'.repeat(998)}\r\nb\r\n.\r\n`);
    const long = bytes(`ok\r\n${'a'.repeat(999)}\r\nok`);
    expect(codeOf(() => encodeData(long))).toBe(ErrorCodes.BODY_LINE_TOO_LONG);
    expect(codeOf(() => encodeChunked(long, [10, 500, 1000]))).toBe(ErrorCodes.BODY_LINE_TOO_LONG);
    expect(codeOf(() => encodeData(bytes('a'.repeat(999))))).toBe(ErrorCodes.BODY_LINE_TOO_LONG);
  });

  it('counts the caller octets of a line, not the stuffed dot (RFC 5321 §4.5.3.1.6)', () => {
    expect(encode(`.${'a'.repeat(997)}`)).toBe(`..${'a'.repeat(997)}\r\n.\r\n`);
    expect(codeOf(() => encode(`.${'a'.repeat(998)}`))).toBe(ErrorCodes.BODY_LINE_TOO_LONG);
  });

  it('honours maxLineOctets, and Infinity disables the check', () => {
    expect(codeOf(() => encode('abcd', { maxLineOctets: 3 }))).toBe(ErrorCodes.BODY_LINE_TOO_LONG);
    expect(encode('abc\r\nabc', { maxLineOctets: 3 })).toBe('abc\r\nabc\r\n.\r\n');
    const huge = 'x'.repeat(100_000);
    expect(encode(huge, { maxLineOctets: Number.POSITIVE_INFINITY })).toBe(`${huge}\r\n.\r\n`);
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses maxLineOctets %d', (max) => {
    expect(codeOf(() => new DataEncoder({ maxLineOctets: max }))).toBe(ErrorCodes.INVALID_ARGUMENT);
  });

  it('detects 8-bit octets, in any position of a word', () => {
    expect(encodeData(bytes('plain ascii text, long enough for words\r\n')).has8bit).toBe(false);
    for (let at = 0; at < 12; at++) {
      const body = bytes('a'.repeat(12));
      body[at] = 0x80 + at;
      expect(encodeData(body).has8bit).toBe(true);
      expect(encodeData(body.subarray(1)).has8bit).toBe(at >= 1);
    }
    expect(encodeData(te.encode('héllo')).has8bit).toBe(true);
  });

  it.each(['\n.', '\r', '\n', '.\r'])('handles the worst-case expansion of %j repeated', (unit) => {
    const body = unit.repeat(5000);
    const expected = `${normalised(body)
      .split('\r\n')
      .map((line) => (line.startsWith('.') ? `.${line}` : line))
      .join('\r\n')}.\r\n`;
    expect(encode(body)).toBe(expected);
    const raw = bytes(body);
    expect(text(encodeChunked(raw, [1, 4097, 8191]).bytes)).toBe(expected);
  });

  it('counts exactly the octets it returned', () => {
    const encoder = new DataEncoder();
    let total = 0;
    for (const chunk of ['.a\n', '\rb', '', '.', '\r', '\n.x']) total += encoder.push(bytes(chunk)).length;
    expect(encoder.encodedOctets).toBe(total);
    total += encoder.end().length;
    expect(encoder.encodedOctets).toBe(total);
    expect(total).toBe(encode('.a\n\rb.\r\n.x').length);
  });
});

describe('DataEncoder: strict line endings and failure', () => {
  const strict: DataEncoderOptions = { lineEndings: 'strict' };

  it.each(['a\nb', 'a\rb', 'a\r\r\nb', 'a\r', '\n', 'a\r\n\n'])('refuses %j in strict mode', (body) => {
    expect(codeOf(() => encode(body, strict))).toBe(ErrorCodes.BODY_BARE_LINE_ENDING);
    const chunked = bytes(body);
    expect(codeOf(() => encodeChunked(chunked, [...chunked.keys()], strict))).toBe(
      ErrorCodes.BODY_BARE_LINE_ENDING,
    );
  });

  it('accepts CRLF in strict mode even when CR and LF arrive in different chunks', () => {
    const body = bytes('.a\r\nb\r\n');
    expect(text(encodeChunked(body, [3], strict).bytes)).toBe('..a\r\nb\r\n.\r\n');
  });

  it('stays failed after a throw', () => {
    const encoder = new DataEncoder();
    expect(() => encoder.push(bytes('a\x00'))).toThrow(SmtpUsageError);
    expect(codeOf(() => encoder.push(bytes('fine')))).toBe(ErrorCodes.BODY_NUL);
    expect(codeOf(() => encoder.end())).toBe(ErrorCodes.BODY_NUL);
  });

  it('refuses use after end()', () => {
    const encoder = new DataEncoder();
    encoder.end();
    expect(codeOf(() => encoder.push(bytes('late')))).toBe(ErrorCodes.INVALID_ARGUMENT);
    expect(codeOf(() => encoder.end())).toBe(ErrorCodes.INVALID_ARGUMENT);
  });
});

// Byte-level arbitraries biased toward what matters: dots, CR, LF, 8-bit octets, and plain runs long
// enough to exercise the word-at-a-time scan.
const special = fc.constantFrom(0x2e, 0x0d, 0x0a);
const segment = (withNul: boolean) =>
  fc.oneof(
    { weight: 6, arbitrary: special.map((b) => [b]) },
    { weight: 2, arbitrary: fc.integer({ min: 0x80, max: 0xff }).map((b) => [b]) },
    { weight: 3, arbitrary: fc.integer({ min: 0, max: 24 }).map((k) => Array<number>(k).fill(0x61)) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 0x7f }).map((b) => [b]) },
    { weight: withNul ? 1 : 0, arbitrary: fc.constant([0]) },
  );
const body = (withNul = false) =>
  fc
    .tuple(fc.array(segment(withNul), { maxLength: 80 }), fc.nat(3))
    .map(([segments, offset]) =>
      new Uint8Array([...Array<number>(offset).fill(0x61), ...segments.flat()]).subarray(offset),
    );
/** Only CR, LF and dots: nearly every octet expands, which forces the output buffer to grow. */
const denseBody = fc
  .array(special, { minLength: 40, maxLength: 400 })
  .map((octets) => Uint8Array.from(octets));
const anyBody = fc.oneof(body(), denseBody);
const cuts = fc.array(fc.nat(), { maxLength: 12 });
const withCuts = (b: Uint8Array, raw: readonly number[]) => raw.map((c) => c % (b.length + 1));
const options = fc.record(
  {
    lineEndings: fc.constantFrom<'normalize' | 'strict'>('normalize', 'strict'),
    maxLineOctets: fc.constantFrom(1, 4, 8, 998, Number.POSITIVE_INFINITY),
  },
  { requiredKeys: [] },
);

describe('DataEncoder properties', () => {
  test.prop([anyBody, cuts], { numRuns: 500 })('chunking invariance: streaming equals one-shot', (b, raw) => {
    const oneShot = encodeData(b);
    const streamed = encodeChunked(b, withCuts(b, raw));
    expect(text(streamed.bytes)).toBe(text(oneShot.bytes));
    expect(streamed.has8bit).toBe(oneShot.has8bit);
    expect(oneShot.has8bit).toBe(b.some((x) => x >= 0x80));
  });

  test.prop([body(true), cuts, options], { numRuns: 500 })(
    'chunking invariance holds for errors too, in every mode',
    (b, raw, opts) => {
      expect(outcome(() => encodeChunked(b, withCuts(b, raw), opts))).toBe(
        outcome(() => encodeData(b, opts)),
      );
    },
  );

  test.prop([anyBody], { numRuns: 500 })('round trip: un-stuffing gives the normalised body', (b) => {
    const wire = text(encodeData(b).bytes);
    expect(wire.endsWith('.\r\n')).toBe(true);
    const content = wire.slice(0, -3);
    const lines = content === '' ? [] : content.slice(0, -2).split('\r\n');
    for (const line of lines) if (line.startsWith('.')) expect(line.startsWith('..')).toBe(true);
    const unstuffed = lines.map((line) => (line.startsWith('.') ? line.slice(1) : line));
    expect(content === '' ? '' : `${unstuffed.join('\r\n')}\r\n`).toBe(normalised(text(b)));
  });

  test.prop([anyBody], { numRuns: 500 })('one terminator, at the end; no bare CR or LF', (b) => {
    const wire = text(encodeData(b).bytes);
    if (b.length === 0) expect(wire).toBe('.\r\n');
    else {
      expect(occurrences(wire, '\r\n.\r\n')).toBe(1);
      expect(wire.endsWith('\r\n.\r\n')).toBe(true);
    }
    expect(wire.startsWith('.\r\n') && b.length > 0).toBe(false);
    expect(hasBareCrOrLf(wire)).toBe(false);
  });

  test.prop([body(true), cuts], { numRuns: 300 })(
    'a NUL always throws SMTP_BODY_NUL and nothing else',
    (b, raw) => {
      fc.pre(b.includes(0));
      const unlimited = { maxLineOctets: Number.POSITIVE_INFINITY };
      expect(codeOf(() => encodeData(b, unlimited))).toBe(ErrorCodes.BODY_NUL);
      expect(codeOf(() => encodeChunked(b, withCuts(b, raw), unlimited))).toBe(ErrorCodes.BODY_NUL);
    },
  );
});

/** Model: the DATA encoding with the dots stuffing added at line starts, and the terminator, taken out. */
function dataMinusStuffing(wire: string): string {
  const content = wire.slice(0, -3);
  return content.replace(/(^|\r\n)\./g, '$1');
}

const BDAT: DataEncoderOptions = { dotStuffing: false, terminator: false };

describe('BDAT mode (RFC 3030 §2: no stuffing, no terminator)', () => {
  it.each([
    ['', ''],
    ['.', '.\r\n'],
    ['a\n.b\r..c', 'a\r\n.b\r\n..c\r\n'],
    ['x\r\n', 'x\r\n'],
  ])('%j → %j', (body, wire) => {
    expect(encode(body, BDAT)).toBe(wire);
    expect(text(encodeChunked(bytes(body), [1], BDAT).bytes)).toBe(wire);
  });

  test.prop([anyBody, cuts], { numRuns: 500 })(
    'equals the DATA encoding minus stuffing and terminator, however chunked',
    (b, raw) => {
      const data = encodeData(b);
      const bdat = encodeChunked(b, withCuts(b, raw), BDAT);
      expect(text(bdat.bytes)).toBe(dataMinusStuffing(text(data.bytes)));
      expect(bdat.bytes.length).toBe(data.bytes.length - 3 - data.stuffedOctets);
      expect(bdat.has8bit).toBe(data.has8bit);
    },
  );

  test.prop([anyBody], { numRuns: 500 })('unstuffData(DATA encoding) is the BDAT encoding', (b) => {
    const data = encodeData(b);
    expect(text(unstuffData(data.bytes, data.stuffedOctets))).toBe(text(encodeData(b, BDAT).bytes));
  });

  test.prop([body(true), cuts, options], { numRuns: 300 })(
    'the same checks as DATA: NUL, line length and strict line endings fail alike',
    (b, raw, opts) => {
      const verdict = (o: string) => (o.startsWith('ok:') ? 'ok' : o);
      expect(verdict(outcome(() => encodeChunked(b, withCuts(b, raw), { ...opts, ...BDAT })))).toBe(
        verdict(outcome(() => encodeData(b, opts))),
      );
    },
  );
});

// Cases the properties above find only on some seeds, pinned as examples.
describe('pinned examples', () => {
  it('unstuffData drops the stuffed dot of the first line too', () => {
    const data = encodeData(bytes('.a\r\n..b\r\n'));
    expect(text(data.bytes)).toBe('..a\r\n...b\r\n.\r\n');
    expect(text(unstuffData(data.bytes, data.stuffedOctets))).toBe('.a\r\n..b\r\n');
  });

  it('an 8-bit octet in a clean chunk of a streamed body is seen (it decides BODY=8BITMIME)', () => {
    const encoder = new DataEncoder();
    encoder.push(te.encode('é\r\n'));
    encoder.push(bytes('x'));
    encoder.end();
    expect(encoder.has8bit).toBe(true);
  });

  it('a dot after a CRLF split across chunks is stuffed', () => {
    const encoder = new DataEncoder();
    const out = [encoder.push(bytes('a\r')), encoder.push(bytes('\n.b')), encoder.end()];
    expect(text(concat(out))).toBe('a\r\n..b\r\n.\r\n');
  });
});
