import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Capabilities, NO_CAPABILITIES, parseEhloReply } from '../../src/protocol/capabilities.js';
import { ReplyParser } from '../../src/protocol/reply-parser.js';
import type { Reply } from '../../src/protocol/reply-types.js';

const ehlo = (...lines: string[]): Capabilities =>
  parseEhloReply({ code: 250, lines: ['mx.example.org', ...lines] });
const keywordsOf = (caps: Capabilities): Record<string, readonly string[]> =>
  Object.fromEntries(caps.keywords);

describe('parseEhloReply', () => {
  it("reads SES's EHLO reply before TLS", () => {
    const wire =
      '250-email-smtp.amazonaws.com\r\n250-8BITMIME\r\n250-STARTTLS\r\n250-AUTH PLAIN LOGIN\r\n250 Ok\r\n';
    const [reply] = new ReplyParser().push(new TextEncoder().encode(wire));
    const caps = parseEhloReply(reply as Reply);
    expect(caps).toMatchObject({
      size: undefined,
      pipelining: false,
      eightBitMime: true,
      smtpUtf8: false,
      startTls: true,
      auth: ['PLAIN', 'LOGIN'],
      chunking: false,
      binaryMime: false,
      dsn: false,
      enhancedStatusCodes: false,
      requireTls: false,
    });
    expect(keywordsOf(caps)).toEqual({ '8BITMIME': [], STARTTLS: [], AUTH: ['PLAIN', 'LOGIN'], OK: [] });
  });

  it("reads SES's EHLO reply after TLS (no STARTTLS) and the pre-2020 SIZE", () => {
    const caps = ehlo('8BITMIME', 'SIZE 10485760', 'AUTH PLAIN LOGIN', 'Ok');
    expect(caps.startTls).toBe(false);
    expect(caps.size).toBe(10_485_760);
    expect(caps.auth).toEqual(['PLAIN', 'LOGIN']);
  });

  it('reads a full-featured server', () => {
    const caps = ehlo(
      'PIPELINING',
      'SIZE 35882577',
      '8BITMIME',
      'SMTPUTF8',
      'STARTTLS',
      'AUTH LOGIN PLAIN XOAUTH2 CRAM-MD5',
      'CHUNKING',
      'BINARYMIME',
      'DSN',
      'ENHANCEDSTATUSCODES',
      'REQUIRETLS',
    );
    expect(caps).toMatchObject({
      size: 35_882_577,
      pipelining: true,
      eightBitMime: true,
      smtpUtf8: true,
      startTls: true,
      auth: ['LOGIN', 'PLAIN', 'XOAUTH2', 'CRAM-MD5'],
      chunking: true,
      binaryMime: true,
      dsn: true,
      enhancedStatusCodes: true,
      requireTls: true,
    });
  });

  it('skips the first line (the greeting domain), even when it looks like a keyword', () => {
    expect(parseEhloReply({ code: 250, lines: ['STARTTLS'] }).startTls).toBe(false);
    expect(parseEhloReply({ code: 250, lines: ['AUTH PLAIN', 'PIPELINING'] })).toMatchObject({
      auth: [],
      pipelining: true,
    });
  });

  it('takes keywords case-insensitively and stores them upper-case', () => {
    const caps = ehlo('starttls', 'Pipelining', 'auth plain Login', 'size 1000', '8bitmime');
    expect(caps).toMatchObject({ startTls: true, pipelining: true, auth: ['PLAIN', 'LOGIN'], size: 1000 });
    expect([...caps.keywords.keys()]).toEqual(['STARTTLS', 'PIPELINING', 'AUTH', 'SIZE', '8BITMIME']);
  });

  it.each<[string[], string[]]>([
    [['AUTH=PLAIN LOGIN'], ['PLAIN', 'LOGIN']],
    [
      ['AUTH LOGIN PLAIN', 'AUTH=LOGIN PLAIN'],
      ['LOGIN', 'PLAIN'],
    ],
    [
      ['AUTH=LOGIN', 'AUTH PLAIN CRAM-MD5'],
      ['LOGIN', 'PLAIN', 'CRAM-MD5'],
    ],
    [
      ['auth=login', 'AUTH plain PLAIN'],
      ['LOGIN', 'PLAIN'],
    ],
    [['AUTH='], []],
    [['AUTH'], []],
    [['AUTH PLAIN MECHANISM-NAME-TOO-LONG-X LOGIN'], ['PLAIN', 'LOGIN']],
    [['AUTH PLAIN,LOGIN'], []],
  ])('AUTH %j → %j', (lines, mechanisms) => {
    const caps = ehlo(...lines);
    expect(caps.auth).toEqual(mechanisms);
    expect(caps.keywords.has('AUTH')).toBe(true);
  });

  it.each<[string[], number | undefined]>([
    [[], undefined],
    [['SIZE'], 0],
    [['SIZE 0'], 0],
    [['SIZE 52428800'], 52_428_800],
    [['SIZE abc'], 0],
    [['SIZE -1'], 0],
    [['SIZE 1e6'], 0],
    [['SIZE 99999999999999999999'], 0],
    [['SIZE 1000', 'SIZE 2000'], 1000],
  ])('SIZE %j → %j', (lines, size) => {
    const caps = ehlo(...lines);
    expect(caps.size).toBe(size);
    expect(caps.keywords.has('SIZE')).toBe(lines.length > 0);
  });

  it('keeps unknown keywords with their params, never failing on them', () => {
    const caps = ehlo(
      'X-EXPS GSSAPI NTLM',
      'ETRN',
      'DELIVERBY 300',
      'XCLIENT NAME ADDR',
      'LIMITS RCPTMAX=50',
    );
    expect(keywordsOf(caps)).toEqual({
      'X-EXPS': ['GSSAPI', 'NTLM'],
      ETRN: [],
      DELIVERBY: ['300'],
      XCLIENT: ['NAME', 'ADDR'],
      LIMITS: ['RCPTMAX=50'],
    });
  });

  it('matches whole keywords, never substrings', () => {
    const caps = ehlo(
      'X-NOT-STARTTLS',
      'AUTHX PLAIN',
      'SIZE100',
      'PIPELINING-LATER',
      'HELP STARTTLS SMTPUTF8',
    );
    expect(caps).toMatchObject({
      startTls: false,
      auth: [],
      size: undefined,
      pipelining: false,
      smtpUtf8: false,
    });
    expect(caps.keywords.size).toBe(5);
  });

  it.each([
    [''],
    ['   '],
    ['STARTTLS\u0000'],
    ['START\tTLS'],
    ['STARTTLS\r'],
    ['PIPELINING \u001b[31m'],
    ['-BAD'],
    ['B@D'],
    ['SMTP\u00dcTF8'],
    ['AUTH PL\u00c4IN'],
  ])('skips the malformed line %j and keeps the rest', (bad) => {
    const caps = ehlo('8BITMIME', bad, 'DSN');
    expect(caps.eightBitMime && caps.dsn).toBe(true);
    expect([...caps.keywords.keys()]).toEqual(['8BITMIME', 'DSN']);
  });

  it('tolerates repeated spaces between params', () => {
    expect(ehlo('AUTH  PLAIN   LOGIN ').auth).toEqual(['PLAIN', 'LOGIN']);
  });

  it('returns frozen capabilities whose keyword map refuses changes', () => {
    const caps = ehlo('AUTH PLAIN', 'SIZE 10');
    expect(Object.isFrozen(caps)).toBe(true);
    expect(Object.isFrozen(caps.auth)).toBe(true);
    expect(Object.isFrozen(caps.keywords.get('SIZE'))).toBe(true);
    const map = caps.keywords as Map<string, readonly string[]>;
    expect(() => map.set('STARTTLS', [])).toThrow(TypeError);
    expect(() => map.delete('AUTH')).toThrow(TypeError);
    expect(() => map.clear()).toThrow(TypeError);
    expect(caps.keywords.size).toBe(2);
  });

  it('NO_CAPABILITIES knows nothing', () => {
    expect(NO_CAPABILITIES).toEqual({
      size: undefined,
      pipelining: false,
      eightBitMime: false,
      smtpUtf8: false,
      startTls: false,
      auth: [],
      chunking: false,
      binaryMime: false,
      dsn: false,
      enhancedStatusCodes: false,
      requireTls: false,
      keywords: new Map(),
    });
    expect(Object.isFrozen(NO_CAPABILITIES)).toBe(true);
    expect(ehlo()).toEqual(NO_CAPABILITIES);
  });

  it('never throws, and every keyword it keeps is upper-case ehlo-keyword syntax from its own line', () => {
    const word = fc.constantFrom(
      'auth',
      'AUTH=plain',
      'Size',
      'STARTTLS',
      'x-Foo',
      '8bitmime',
      '=',
      '-',
      '\u0000',
      'é',
    );
    const line = fc.oneof(
      fc.string({ maxLength: 20 }),
      fc.array(word, { maxLength: 4 }).map((w) => w.join(' ')),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 8 }), (lines) => {
        const caps = ehlo(...lines);
        for (const [keyword, params] of caps.keywords) {
          expect(keyword).toMatch(/^[A-Z0-9][A-Z0-9-]*$/);
          const source = lines.find((l) => {
            const first = l.trim().split(' ')[0] ?? '';
            return first.toUpperCase() === keyword || first.toUpperCase().startsWith(`${keyword}=`);
          });
          expect(source).toBeDefined();
          for (const param of params) expect(param).toMatch(/^[\x21-\x7e]+$/);
        }
        for (const mechanism of caps.auth) expect(mechanism).toMatch(/^[A-Z0-9_-]{1,20}$/);
        expect(caps.startTls).toBe(lines.some((l) => /^ *starttls(?: +[\x21-\x7e]+)* *$/i.test(l)));
      }),
      { numRuns: 500 },
    );
  });
});

describe('parseEhloReply: linear in the reply (threats.md §6: no quadratic parsing of what a server sends)', () => {
  it('20,000 AUTH lines, each naming a new mechanism, well under 2 s (merging them line by line took ~30 s)', () => {
    const lines = ['mx.example'];
    for (let i = 0; i < 20_000; i++) lines.push(`AUTH MECH${i} X${i}`);
    const started = performance.now();
    const caps = parseEhloReply({ code: 250, lines });
    expect(performance.now() - started).toBeLessThan(2000);
    expect(caps.auth).toHaveLength(40_000);
    expect(caps.auth.slice(0, 4)).toEqual(['MECH0', 'X0', 'MECH1', 'X1']);
  });

  it('repeated AUTH lines: each mechanism once, upper-cased, in first-seen order', () => {
    const caps = parseEhloReply({
      code: 250,
      lines: ['mx', 'AUTH plain LOGIN', 'AUTH=login xoauth2', 'AUTH PLAIN'],
    });
    expect(caps.auth).toEqual(['PLAIN', 'LOGIN', 'XOAUTH2']);
  });
});
