import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors/codes.js';
import { SmtpProtocolError, SmtpUsageError } from '../../src/errors/smtp-error.js';
import { DEFAULT_MAX_REPLY_LINE_OCTETS, DEFAULT_MAX_REPLY_OCTETS } from '../../src/protocol/limits.js';
import { parseEnhancedStatus, ReplyParser, replyText } from '../../src/protocol/reply-parser.js';
import type { Reply } from '../../src/protocol/reply-types.js';

const enc = (text: string): Uint8Array => new TextEncoder().encode(text);
const parse = (text: string): Reply[] => new ReplyParser().push(enc(text));
/** Plain objects so that toEqual compares replies without caring about frozenness. */
const plain = (replies: readonly Reply[]): Reply[] =>
  replies.map((reply) => ({ ...reply, lines: [...reply.lines] }));

function protocolError(action: () => unknown): SmtpProtocolError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(SmtpProtocolError);
    return error as SmtpProtocolError;
  }
  throw new Error('expected an SmtpProtocolError, nothing was thrown');
}

const SES_GREETING = '220 email-smtp.amazonaws.com ESMTP SimpleEmailService-d-ABCDEFGHI 1a2b3c\r\n';
const SES_EHLO =
  '250-email-smtp.amazonaws.com\r\n250-8BITMIME\r\n250-STARTTLS\r\n250-AUTH PLAIN LOGIN\r\n250 Ok\r\n';

describe('ReplyParser: well-formed replies (RFC 5321 §4.2)', () => {
  it.each<[string, string, Reply[]]>([
    ['single line', '250 OK\r\n', [{ code: 250, lines: ['OK'] }]],
    [
      'RFC 5321 §4.2.1 multi-line example',
      '250-First line\r\n250-Second line\r\n250-234 Text beginning with numbers\r\n250 The last line\r\n',
      [
        {
          code: 250,
          lines: ['First line', 'Second line', '234 Text beginning with numbers', 'The last line'],
        },
      ],
    ],
    ['no text', '250\r\n', [{ code: 250, lines: [''] }]],
    ['space, no text', '250 \r\n', [{ code: 250, lines: [''] }]],
    ['empty continuation', '250-\r\n250 x\r\n', [{ code: 250, lines: ['', 'x'] }]],
    ['text kept verbatim', '250  two  spaces \r\n', [{ code: 250, lines: [' two  spaces '] }]],
    ['bare LF accepted', '250 OK\n', [{ code: 250, lines: ['OK'] }]],
    ['mixed terminators', '250-a\n250 b\r\n', [{ code: 250, lines: ['a', 'b'] }]],
    ['inner CR kept', '250 a\rb\r\n', [{ code: 250, lines: ['a\rb'] }]],
    ['UTF-8 text', '250 h\u00e9llo \u{1f4e8}\r\n', [{ code: 250, lines: ['h\u00e9llo \u{1f4e8}'] }]],
    [
      'lowest and highest codes',
      '200 a\r\n559 b\r\n',
      [
        { code: 200, lines: ['a'] },
        { code: 559, lines: ['b'] },
      ],
    ],
    ['SES greeting', SES_GREETING, [{ code: 220, lines: [SES_GREETING.slice(4, -2)] }]],
    [
      'SES EHLO',
      SES_EHLO,
      [{ code: 250, lines: ['email-smtp.amazonaws.com', '8BITMIME', 'STARTTLS', 'AUTH PLAIN LOGIN', 'Ok'] }],
    ],
    [
      'SES message id',
      '250 Ok 0101019dec617b98-3c1b5e1e-000000\r\n',
      [{ code: 250, lines: ['Ok 0101019dec617b98-3c1b5e1e-000000'] }],
    ],
    [
      'several replies in one chunk',
      '250 Ok\r\n250 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n',
      [
        { code: 250, lines: ['Ok'] },
        { code: 250, lines: ['Ok'] },
        { code: 354, lines: ['End data with <CR><LF>.<CR><LF>'] },
      ],
    ],
    [
      'enhanced code parsed from the first line',
      '451 4.4.2 Timeout waiting for data from client.\r\n',
      [
        {
          code: 451,
          enhanced: { class: 4, subject: 4, detail: 2 },
          lines: ['4.4.2 Timeout waiting for data from client.'],
        },
      ],
    ],
    [
      'enhanced code on every line',
      '550-5.1.1 No such user\r\n550 5.1.1 Really\r\n',
      [
        {
          code: 550,
          enhanced: { class: 5, subject: 1, detail: 1 },
          lines: ['5.1.1 No such user', '5.1.1 Really'],
        },
      ],
    ],
    ['enhanced class mismatch ignored', '550 4.1.1 x\r\n', [{ code: 550, lines: ['4.1.1 x'] }]],
    [
      'no enhanced code',
      '454 Throttling failure: Maximum sending rate exceeded.\r\n',
      [{ code: 454, lines: ['Throttling failure: Maximum sending rate exceeded.'] }],
    ],
  ])('%s', (_name, input, expected) => {
    expect(plain(parse(input))).toEqual(expected);
  });

  it('decodes invalid UTF-8 without throwing (U+FFFD)', () => {
    const bytes = new Uint8Array([...enc('250 a'), 0xff, 0xc3, ...enc('b\r\n')]);
    expect(new ReplyParser().push(bytes)[0]?.lines).toEqual(['a\ufffd\ufffdb']);
  });

  it('keeps a leading byte-order mark in the text', () => {
    expect(parse('250 \ufeffx\r\n')[0]?.lines).toEqual(['\ufeffx']);
  });

  it('returns frozen replies', () => {
    const [reply] = parse('250-a\r\n250 2.0.0 b\r\n');
    expect(Object.isFrozen(reply)).toBe(true);
    expect(Object.isFrozen(reply?.lines)).toBe(true);
    expect(Object.isFrozen(reply?.enhanced)).toBe(true);
  });

  it('yields identical replies when the input is split at every byte position', () => {
    const input = enc(SES_GREETING + SES_EHLO + '250-x\n250 y\n451 4.4.2 Timeout\r\n250\r\n');
    const whole = plain(new ReplyParser().push(input));
    expect(whole).toHaveLength(5);
    for (let i = 0; i <= input.length; i++) {
      const parser = new ReplyParser();
      const got = [...parser.push(input.subarray(0, i)), ...parser.push(input.subarray(i))];
      expect(plain(got)).toEqual(whole);
      expect(parser.bufferedBytes).toBe(0);
    }
    const bytewise = new ReplyParser();
    const got: Reply[] = [];
    for (const byte of input) got.push(...bytewise.push(Uint8Array.of(byte)));
    expect(plain(got)).toEqual(whole);
  });

  it('copies held bytes: reusing the caller buffer after push does not change the reply', () => {
    const parser = new ReplyParser();
    const buffer = enc('250 abc');
    parser.push(buffer);
    buffer.fill(0x58);
    expect(parser.push(enc('\r\n'))[0]?.lines).toEqual(['abc']);
  });
});

describe('ReplyParser: bufferedBytes', () => {
  it('counts bytes of incomplete replies and is 0 right after a complete one', () => {
    const parser = new ReplyParser();
    expect(parser.bufferedBytes).toBe(0);
    parser.push(enc('250-a\r\n'));
    expect(parser.bufferedBytes).toBe(7);
    parser.push(enc('25'));
    expect(parser.bufferedBytes).toBe(9);
    parser.push(enc('0 b\r\n'));
    expect(parser.bufferedBytes).toBe(0);
  });

  it('reveals bytes injected after the 220 to STARTTLS (threats.md §1)', () => {
    const parser = new ReplyParser();
    const replies = parser.push(enc('220 Ready to start TLS\r\n250-EVIL'));
    expect(plain(replies)).toEqual([{ code: 220, lines: ['Ready to start TLS'] }]);
    expect(parser.bufferedBytes).toBe(8);
  });
});

describe('ReplyParser: malformed replies', () => {
  it.each([
    ['XXX\r\n'],
    ['0\r\n'],
    ['01\r\n'],
    ['25\r\n'],
    ['\r\n'],
    ['\n'],
    ['1234\r\n'],
    ['2501 x\r\n'],
    ['600 x\r\n'],
    ['099 x\r\n'],
    ['199 x\r\n'],
    ['260 x\r\n'],
    ['2a0 x\r\n'],
    ['\u0662\u0665\u0660 arabic-indic digits\r\n'],
    [' 250 x\r\n'],
    ['250x\r\n'],
    ['250\tOK\r\n'],
    ['250=OK\r\n'],
    ['250-a\r\n251 b\r\n'],
    ['250-a\r\n550-b\r\n'],
    ['250-a\r\nOK\r\n'],
  ])('%j → SMTP_REPLY_MALFORMED', (input) => {
    const error = protocolError(() => parse(input));
    expect(error.code).toBe(ErrorCodes.REPLY_MALFORMED);
    expect(error.origin).toBe('remote');
  });

  it('quotes at most ~100 characters of the offending line, escaped', () => {
    const error = protocolError(() => parse(`XXX ${'\u0007'.repeat(3000)}\r\n`));
    expect(error.message.length).toBeLessThan(800);
    expect(error.message).not.toContain('\u0007');
    expect(error.message).toContain('XXX');
  });

  it('names the two codes of a mixed multi-line reply', () => {
    expect(protocolError(() => parse('250-a\r\n251 b\r\n')).message).toMatch(/250.*251/);
  });

  it('is poisoned after an error: every later push throws the same error', () => {
    const parser = new ReplyParser();
    const error = protocolError(() => parser.push(enc('250 ok\r\nXXX\r\n')));
    expect(protocolError(() => parser.push(enc('250 OK\r\n')))).toBe(error);
    expect(protocolError(() => parser.push(new Uint8Array()))).toBe(error);
  });

  it('refuses invalid limits', () => {
    expect(() => new ReplyParser({ maxLineOctets: 0 })).toThrow(SmtpUsageError);
    expect(() => new ReplyParser({ maxReplyOctets: Number.NaN })).toThrow(SmtpUsageError);
    expect(() => new ReplyParser({ maxReplyOctets: Number.POSITIVE_INFINITY })).toThrow(SmtpUsageError);
  });
});

describe('ReplyParser: bounded memory', () => {
  it('fails an endless 250- reply once it passes 64 KiB', () => {
    const parser = new ReplyParser();
    const line = enc(`250-${'x'.repeat(94)}\r\n`); // 100 octets
    let pushed = 0;
    const error = protocolError(() => {
      for (;;) {
        parser.push(line);
        pushed += line.length;
        expect(parser.bufferedBytes).toBeLessThanOrEqual(DEFAULT_MAX_REPLY_OCTETS);
      }
    });
    expect(error.code).toBe(ErrorCodes.REPLY_TOO_LONG);
    expect(pushed).toBe(Math.floor(DEFAULT_MAX_REPLY_OCTETS / line.length) * line.length);
  });

  it('fails a line without CRLF once it passes 4 KiB, not before', () => {
    const parser = new ReplyParser();
    parser.push(enc(`250 ${'a'.repeat(DEFAULT_MAX_REPLY_LINE_OCTETS - 4)}`));
    expect(parser.bufferedBytes).toBe(DEFAULT_MAX_REPLY_LINE_OCTETS);
    const error = protocolError(() => parser.push(enc('a')));
    expect(error.code).toBe(ErrorCodes.REPLY_TOO_LONG);
    expect(parser.bufferedBytes).toBe(0);
  });

  it('accepts a line of exactly maxLineOctets including CRLF', () => {
    const text = 'a'.repeat(DEFAULT_MAX_REPLY_LINE_OCTETS - 6);
    expect(parse(`250 ${text}\r\n`)[0]?.lines).toEqual([text]);
    expect(protocolError(() => parse(`250 ${text}a\r\n`)).code).toBe(ErrorCodes.REPLY_TOO_LONG);
  });

  it('fails a huge chunk without LF before storing it', () => {
    const parser = new ReplyParser();
    const error = protocolError(() => parser.push(new Uint8Array(1 << 20).fill(0x41)));
    expect(error.code).toBe(ErrorCodes.REPLY_TOO_LONG);
  });

  it('honours custom limits', () => {
    const lines = new ReplyParser({ maxLineOctets: 10 });
    expect(lines.push(enc('250 1234\r\n'))).toHaveLength(1);
    expect(protocolError(() => lines.push(enc('250 12345\r\n'))).code).toBe(ErrorCodes.REPLY_TOO_LONG);

    const replies = new ReplyParser({ maxReplyOctets: 20 });
    expect(replies.push(enc('250-1234\r\n250 1234\r\n'))).toHaveLength(1); // exactly 20
    replies.push(enc('250-1234\r\n250 1234\r')); // 19 held
    expect(replies.bufferedBytes).toBe(19);
    expect(protocolError(() => replies.push(enc('X\n'))).code).toBe(ErrorCodes.REPLY_TOO_LONG);
    expect(new ReplyParser({ maxLineOctets: 10_000 }).push(enc(`250 ${'a'.repeat(9000)}\r\n`))).toHaveLength(
      1,
    );
  });
});

describe('ReplyParser: linear time under any chunking', () => {
  const limits = { maxLineOctets: 2 << 20, maxReplyOctets: 8 << 20 };
  function multiLine(octets: number): Uint8Array {
    const line = `250-${'y'.repeat(58)}\r\n`; // 64 octets
    return enc(line.repeat(octets / line.length - 1) + `250 ${'z'.repeat(58)}\r\n`);
  }
  function timed(input: Uint8Array, chunk: number, parser = new ReplyParser(limits)): number {
    const started = performance.now();
    const replies: Reply[] = [];
    for (let i = 0; i < input.length; i += chunk) replies.push(...parser.push(input.subarray(i, i + chunk)));
    expect(replies).toHaveLength(1);
    expect(parser.bufferedBytes).toBe(0);
    return performance.now() - started;
  }

  it('parses a 4 MiB multi-line reply in 16-byte chunks', () => {
    expect(timed(multiLine(4 << 20), 16)).toBeLessThan(3000);
  });

  it('parses a 1 MiB multi-line reply in 1-byte chunks', () => {
    expect(timed(multiLine(1 << 20), 1)).toBeLessThan(3000);
  });

  it('parses a single 1 MiB line in 1-byte chunks', () => {
    expect(timed(enc(`250 ${'w'.repeat((1 << 20) - 6)}\r\n`), 1)).toBeLessThan(3000);
  });
});

describe('replyText and parseEnhancedStatus re-export', () => {
  it('joins lines with \\n', () => {
    expect(replyText({ code: 250, lines: ['a', 'b', ''] })).toBe('a\nb\n');
    expect(parseEnhancedStatus(250, '2.0.0 ok')).toEqual({ class: 2, subject: 0, detail: 0 });
  });
});

describe('ReplyParser: properties', () => {
  interface Line {
    readonly text: string;
    readonly lf: boolean; // bare LF instead of CRLF
  }
  const text = fc.oneof(
    fc.string({ unit: 'grapheme', maxLength: 12 }),
    fc
      .tuple(fc.integer({ min: 1, max: 6 }), fc.nat(999), fc.nat(999), fc.string({ unit: 'grapheme-ascii' }))
      .map(([c, s, d, rest]) => `${c}.${s}.${d} ${rest}`),
  );
  const line = fc.record({ text: text.map((t) => t.replace(/[\r\n]/g, '')), lf: fc.boolean() });
  const reply = fc.record({
    code: fc
      .tuple(fc.integer({ min: 2, max: 5 }), fc.integer({ min: 0, max: 5 }), fc.nat(9))
      .map(([a, b, c]) => a * 100 + b * 10 + c),
    lines: fc.array(line, { minLength: 1, maxLength: 5 }),
    bareCode: fc.boolean(), // "250\r\n" instead of "250 \r\n" when the last text is empty
  });

  function serialise(r: { code: number; lines: readonly Line[]; bareCode: boolean }): string {
    return r.lines
      .map(({ text: t, lf }, i) => {
        const last = i === r.lines.length - 1;
        const separator = last ? (t === '' && r.bareCode ? '' : ' ') : '-';
        return `${r.code}${separator}${t}${lf ? '\n' : '\r\n'}`;
      })
      .join('');
  }
  function concat(parts: readonly Uint8Array[]): Uint8Array {
    const whole = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
    let at = 0;
    for (const part of parts) {
      whole.set(part, at);
      at += part.length;
    }
    return whole;
  }
  function splitAt(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
    const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
    const pieces: Uint8Array[] = [];
    let previous = 0;
    for (const point of [...points, bytes.length]) {
      pieces.push(bytes.subarray(previous, point));
      previous = point;
    }
    return pieces;
  }

  it('yields the same replies however well-formed input is split, and bufferedBytes counts the rest', () => {
    fc.assert(
      fc.property(
        fc.array(reply, { maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        (replies, cuts) => {
          const encoded = replies.map((r) => enc(serialise(r)));
          const whole = concat(encoded);
          const ends: number[] = [];
          let end = 0;
          for (const bytes of encoded) {
            end += bytes.length;
            ends.push(end);
          }

          const expected = replies.map((r) => {
            const lines = r.lines.map((l) => l.text);
            const enhanced = parseEnhancedStatus(r.code, lines[0] ?? '');
            return enhanced === undefined ? { code: r.code, lines } : { code: r.code, enhanced, lines };
          });
          expect(plain(new ReplyParser().push(whole))).toEqual(expected);

          const parser = new ReplyParser();
          const got: Reply[] = [];
          let offset = 0;
          for (const piece of splitAt(whole, cuts)) {
            got.push(...parser.push(piece));
            offset += piece.length;
            const consumed = got.length === 0 ? 0 : (ends[got.length - 1] ?? Number.NaN);
            expect(parser.bufferedBytes).toBe(offset - consumed);
          }
          expect(plain(got)).toEqual(expected);
        },
      ),
      { numRuns: 500 },
    );
  });

  const token = fc.constantFrom('250-', '250 ', '550 ', '\r\n', '\n', '\r', 'abc', '2', '5', '0', '-', ' ');
  const piece = fc.oneof(fc.uint8Array({ maxLength: 16 }), token.map(enc));
  const limits = fc.oneof(
    fc.constant({ maxLineOctets: 24, maxReplyOctets: 48 }),
    fc.constant({ maxLineOctets: 8, maxReplyOctets: 8 }),
    fc.constant({ maxLineOctets: DEFAULT_MAX_REPLY_LINE_OCTETS, maxReplyOctets: DEFAULT_MAX_REPLY_OCTETS }),
  );

  it('on arbitrary bytes returns replies or throws SmtpProtocolError, never exceeding its caps', () => {
    fc.assert(
      fc.property(limits, fc.array(piece, { maxLength: 40 }), (caps, pieces) => {
        const parser = new ReplyParser(caps);
        let lineSoFar = 0; // octets since the last LF in the input
        for (const chunk of pieces) {
          let replies: Reply[];
          try {
            replies = parser.push(chunk);
          } catch (error) {
            expect(error).toBeInstanceOf(SmtpProtocolError);
            const code = (error as SmtpProtocolError).code;
            expect([ErrorCodes.REPLY_MALFORMED, ErrorCodes.REPLY_TOO_LONG]).toContain(code);
            expect(() => parser.push(enc('250 OK\r\n'))).toThrow(error as Error);
            return;
          }
          const lf = chunk.lastIndexOf(0x0a);
          lineSoFar = lf === -1 ? lineSoFar + chunk.length : chunk.length - lf - 1;
          expect(lineSoFar).toBeLessThanOrEqual(caps.maxLineOctets);
          expect(parser.bufferedBytes).toBeLessThanOrEqual(caps.maxReplyOctets);
          expect(parser.bufferedBytes).toBeGreaterThanOrEqual(lineSoFar);
          for (const r of replies) {
            expect(r.code).toBeGreaterThanOrEqual(200);
            expect(r.code).toBeLessThanOrEqual(559);
            expect(r.lines.length).toBeGreaterThan(0);
          }
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('fails with the same error code however arbitrary bytes are split', () => {
    const outcome = (chunks: readonly Uint8Array[]): string => {
      const parser = new ReplyParser({ maxLineOctets: 24, maxReplyOctets: 48 });
      try {
        for (const chunk of chunks) parser.push(chunk);
        return `ok ${parser.bufferedBytes}`;
      } catch (error) {
        return (error as SmtpProtocolError).code;
      }
    };
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 30 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (pieces, cuts) => {
          const whole = concat(pieces);
          expect(outcome(splitAt(whole, cuts))).toBe(outcome([whole]));
        },
      ),
      { numRuns: 1000 },
    );
  });
});
