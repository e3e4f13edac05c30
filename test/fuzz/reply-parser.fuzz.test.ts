/**
 * Fuzzes the reply parser (RFC 5321 §4.2) at the byte level against an independent reference
 * parser: same replies and the same error however the bytes are chunked, only SmtpProtocolError
 * escapes, a failed parser stays failed, and held bytes never exceed the caps (threats.md §6).
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { ErrorCodes } from '../../src/errors/codes.js';
import { SmtpProtocolError } from '../../src/errors/smtp-error.js';
import { parseEnhancedStatus, ReplyParser } from '../../src/protocol/reply-parser.js';
import type { Reply } from '../../src/protocol/reply-types.js';
import { concat, cutsArbitrary, FUZZ_MS, fuzzParameters, split, testTimeout } from './fuzz-options.js';

const LF = 0x0a;
const CR = 0x0d;
const ascii = (text: string) => new TextEncoder().encode(text);

/** Octets biased toward what matters to the grammar: CR, LF, '-', ' ', digits, '.'. */
const interestingByte = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(CR, LF, 0x2d, 0x20, 0x2e, 0x30, 0x32, 0x34, 0x35, 0x36, 0x39) },
  { weight: 2, arbitrary: fc.integer({ min: 0x21, max: 0x7e }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) },
);

const code = fc.oneof(
  fc.constantFrom('220', '221', '250', '354', '421', '450', '452', '500', '530', '535', '550', '554'),
  fc.constantFrom('199', '600', '260', '2x0', '25', '1234', '000', '\u0662\u0665\u0660'),
  fc.stringMatching(/^[0-9]{3}$/),
);

/** A reply line, usually well formed: code, separator, text, terminator. */
const line = fc
  .tuple(
    code,
    fc.constantFrom(' ', '-', '', '-', ' ', '\t', 'x'),
    fc.oneof(
      fc.constantFrom('', 'OK', '2.1.0 Ok', '5.7.1 denied', 'PIPELINING', 'SIZE 1000', 'caf\u00e9'),
      fc.string({ maxLength: 20 }),
    ),
    fc.constantFrom('\r\n', '\r\n', '\n', '\r', '', '\r\r\n'),
  )
  .map(([c, sep, text, end]) => ascii(`${c}${sep}${text}${end}`));

const token = fc.oneof(
  { weight: 5, arbitrary: line },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 12 }).map((b) => b) },
  { weight: 3, arbitrary: fc.array(interestingByte, { maxLength: 12 }).map((b) => Uint8Array.from(b)) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 300 }).map((n) => ascii(`250-${'a'.repeat(n)}\r\n`)) },
);

const input = fc.array(token, { maxLength: 24 }).map(concat);

const limits = fc.oneof(
  fc.constant(undefined),
  fc.record({
    maxLineOctets: fc.integer({ min: 1, max: 96 }),
    maxReplyOctets: fc.integer({ min: 1, max: 400 }),
  }),
);

interface Outcome {
  readonly replies: { code: number; lines: readonly string[] }[];
  readonly error: string | undefined;
}

/** An independent, obviously-correct (and slow) reading of the grammar the parser implements. */
function reference(bytes: Uint8Array, maxLine: number, maxReply: number): Outcome {
  const decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
  const replies: Outcome['replies'] = [];
  let pending: { code: number; lines: string[]; octets: number } | undefined;
  let pos = 0;
  const fail = (error: string): Outcome => ({ replies, error });
  while (pos < bytes.length) {
    const lf = bytes.indexOf(LF, pos);
    const octets = (lf === -1 ? bytes.length : lf + 1) - pos;
    if (octets > maxLine || (pending?.octets ?? 0) + octets > maxReply)
      return fail(ErrorCodes.REPLY_TOO_LONG);
    if (lf === -1) break;
    const end = lf > pos && bytes[lf - 1] === CR ? lf - 1 : lf;
    const text = bytes.subarray(pos, end);
    pos = lf + 1;
    if (text.length < 3) return fail(ErrorCodes.REPLY_MALFORMED);
    const [a = 0, b = 0, c = 0] = text;
    const ok = a >= 0x32 && a <= 0x35 && b >= 0x30 && b <= 0x35 && c >= 0x30 && c <= 0x39;
    if (!ok) return fail(ErrorCodes.REPLY_MALFORMED);
    const value = (a - 0x30) * 100 + (b - 0x30) * 10 + (c - 0x30);
    const separator = text.length > 3 ? text[3] : 0x20;
    if (separator !== 0x20 && separator !== 0x2d) return fail(ErrorCodes.REPLY_MALFORMED);
    if (pending !== undefined && pending.code !== value) return fail(ErrorCodes.REPLY_MALFORMED);
    const lineText = text.length > 4 ? decoder.decode(text.subarray(4)) : '';
    pending ??= { code: value, lines: [], octets: 0 };
    pending.lines.push(lineText);
    pending.octets += octets;
    if (separator === 0x20) {
      replies.push({ code: value, lines: pending.lines });
      pending = undefined;
    }
  }
  return { replies, error: undefined };
}

function checkReply(reply: Reply): void {
  expect(Number.isInteger(reply.code) && reply.code >= 200 && reply.code <= 559).toBe(true);
  expect(reply.lines.length).toBeGreaterThan(0);
  for (const text of reply.lines) expect(text.includes('\n')).toBe(false);
  expect(reply.enhanced).toEqual(parseEnhancedStatus(reply.code, reply.lines[0] ?? ''));
}

/** Feeds the chunks; checks the per-push invariants; returns what came out. */
function run(chunks: readonly Uint8Array[], parser: ReplyParser, maxReply: number): Outcome {
  const replies: Outcome['replies'] = [];
  for (const chunk of chunks) {
    try {
      for (const reply of parser.push(chunk)) {
        checkReply(reply);
        replies.push({ code: reply.code, lines: reply.lines });
      }
    } catch (error) {
      if (!(error instanceof SmtpProtocolError)) throw error;
      expect(parser.bufferedBytes).toBe(0);
      // A failed parser stays failed, with the same error.
      expect(() => parser.push(ascii('250 OK\r\n'))).toThrow(error);
      return { replies, error: error.code };
    }
    expect(parser.bufferedBytes).toBeLessThanOrEqual(maxReply);
  }
  return { replies, error: undefined };
}

describe('reply parser fuzz', () => {
  test(
    'matches the reference parser for every chunking; bounded; only SmtpProtocolError',
    () => {
      fc.assert(
        fc.property(input, cutsArbitrary, limits, (bytes, cuts, limit) => {
          const maxLine = limit?.maxLineOctets ?? 4096;
          const maxReply = limit?.maxReplyOctets ?? 65536;
          const expected = reference(bytes, maxLine, maxReply);
          const chunked = run(split(bytes, cuts), new ReplyParser(limit), maxReply);
          expect(chunked.error).toBe(expected.error);
          if (expected.error === undefined) {
            expect(chunked.replies).toEqual(expected.replies);
          } else {
            // Replies completed before the bad line may or may not be returned (the throw drops a
            // chunk's earlier replies), but what was returned is a prefix of the reference's.
            expect(chunked.replies).toEqual(expected.replies.slice(0, chunked.replies.length));
          }
        }),
        fuzzParameters(),
      );
    },
    testTimeout(),
  );

  test(
    'an endless multi-line reply or line fails at the cap, holding at most the cap, however it is chunked',
    () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 8, max: 200 }),
          fc.integer({ min: 1, max: 64 }),
          fc.boolean(),
          (maxReply, chunkSize, hyphenated) => {
            const parser = new ReplyParser({ maxLineOctets: 64, maxReplyOctets: maxReply });
            const unit = ascii(hyphenated ? '250-more\r\n' : 'x');
            const stream = concat(Array.from({ length: 400 }, () => unit));
            let error: unknown;
            for (let at = 0; at < stream.length && error === undefined; at += chunkSize) {
              try {
                parser.push(stream.subarray(at, at + chunkSize));
                expect(parser.bufferedBytes).toBeLessThanOrEqual(maxReply);
              } catch (caught) {
                error = caught;
              }
            }
            expect(error).toBeInstanceOf(SmtpProtocolError);
            expect((error as SmtpProtocolError).code).toBe(ErrorCodes.REPLY_TOO_LONG);
          },
        ),
        fuzzParameters(Math.min(FUZZ_MS, 1000)),
      );
    },
    testTimeout(),
  );
});
