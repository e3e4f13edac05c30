import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { composeMessage } from '../../src/message/compose.js';

const base = {
  from: 'a@example.org',
  to: ['bob@example.net'],
  date: new Date(Date.UTC(2026, 10, 29, 7, 5, 9)),
  random: (size: number) => new Uint8Array(size),
};
const compose = (filename: string) =>
  new TextDecoder().decode(composeMessage({ ...base, attachments: [{ filename, content: 'x' }] }).raw);

/** RFC 2231 §7 ext-value after the charset: attribute-chars and complete %XX triples only. */
const EXT_VALUE = /^(?:[A-Za-z0-9!#$&+\-.^_`|~]|%[0-9A-F]{2})+$/;

/** The file name a strict RFC 2045/2231 reader gets from one header's `param`, unfolded. */
function readParam(header: string, param: string): string {
  const plain = new RegExp(`; ${param}="([^"\\\\]*)"$`).exec(header);
  if (plain !== null) return plain[1] ?? '';
  const single = new RegExp(`; ${param}\\*=UTF-8''([^;\\s]*)$`).exec(header);
  const pieces =
    single === null ? [...header.matchAll(new RegExp(`${param}\\*(\\d+)\\*=([^;\\s]*)`, 'g'))] : [];
  const values = single === null ? pieces.map((m) => m[2] ?? '') : [single[1] ?? ''];
  if (single === null) {
    expect(pieces.map((m) => Number(m[1]))).toEqual(pieces.map((_, i) => i));
    expect(values[0]?.startsWith("UTF-8''")).toBe(true);
    values[0] = (values[0] ?? '').slice("UTF-8''".length);
  }
  expect(values.length).toBeGreaterThan(0);
  for (const value of values) expect(value).toMatch(EXT_VALUE);
  return decodeURIComponent(values.join(''));
}

describe('attachment file names (RFC 2045 quoted-string, RFC 2231 encoding and continuations)', () => {
  const filename = fc.string({
    unit: fc.constantFrom('a', 'Z', '.', ' ', '"', '\\', "'", '*', '%', '(', ';', 'é', '€', '😀'),
    minLength: 1,
    maxLength: 130,
  });

  test.prop([filename], { numRuns: 400 })(
    'any file name reads back from both headers, every value well formed, no line over 78 characters',
    (name) => {
      const text = compose(name);
      const part = text.slice(text.indexOf('Content-Type: application/octet-stream'));
      const headers = part.slice(0, part.indexOf('\r\n\r\n'));
      // RFC 5322 §2.1.1: 998 MUST, 78 SHOULD; a parameter that would pass 78 goes on a folded line.
      for (const line of headers.split('\r\n')) expect(line.length).toBeLessThanOrEqual(78);
      const [type, , disposition] = headers.replace(/\r\n[ \t]/g, ' ').split('\r\n');
      expect(readParam(type ?? '', 'name')).toBe(name);
      expect(readParam(disposition ?? '', 'filename')).toBe(name);
    },
  );

  it.each([
    ['a double quote', 'say "hi".txt'],
    ['a backslash', 'a\\b.txt'],
    ['an apostrophe and an é', "it's é.txt"],
    ['1000 ASCII letters', `${'n'.repeat(1000)}.txt`],
    // RFC 2047 §5 forbids encoded-words in a quoted parameter, yet common parsers decode them there.
    ['what looks like an encoded-word', '=?UTF-8?B?YQ==?=.txt'],
  ])('a name with %s is RFC 2231 encoded, not put in a quoted-string', (_, name) => {
    const text = compose(name);
    expect(text).not.toContain('filename="');
    expect(text).toMatch(/filename\*(0\*)?=UTF-8''/);
    // Continuations keep a long name's lines short (RFC 5322 §2.1.1's 78).
    for (const line of text.split('\r\n')) expect(line.length).toBeLessThanOrEqual(78);
  });

  it('only the first continuation carries the charset', () => {
    const text = compose(`${'é'.repeat(40)}.pdf`);
    expect(text).toMatch(/filename\*0\*=UTF-8''%C3%A9/);
    expect(text).toMatch(/filename\*1\*=%/);
    expect(text.match(/UTF-8''/g)?.length).toBe(2); // name*0* and filename*0*
  });

  it.each([
    ['empty', ''],
    ...Array.from({ length: 32 }, (_, c) => [
      `U+${c.toString(16).padStart(4, '0')}`,
      `a${String.fromCharCode(c)}b.txt`,
    ]),
    ['DEL', 'a\x7fb.txt'],
  ])('a file name with %s is refused with SMTP_INVALID_ARGUMENT naming the attachment', (_, name) => {
    expect(() => compose(name)).toThrow(
      expect.objectContaining({ code: 'SMTP_INVALID_ARGUMENT', field: 'attachments[0]' }),
    );
  });
});
