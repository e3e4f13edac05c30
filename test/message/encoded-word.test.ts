import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { composeMessage } from '../../src/message/compose.js';

const base = {
  from: 'a@example.org',
  to: ['bob@example.net'],
  date: new Date(Date.UTC(2026, 10, 29, 7, 5, 9)),
  random: (size: number) => new Uint8Array(size),
};
const headerBlock = (raw: Uint8Array) => {
  const text = new TextDecoder().decode(raw);
  return text.slice(0, text.indexOf('\r\n\r\n'));
};
const subjectOf = (raw: Uint8Array) =>
  (
    headerBlock(raw)
      .replace(/\r\n[ \t]/g, ' ')
      .split('\r\n')
      .find((l) => l.startsWith('Subject: ')) ?? ''
  ).slice('Subject: '.length);

/** What a reader shows (RFC 2047 §6): every encoded word decoded, the white space between two dropped. */
function display(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?UTF-8\?B\?([^?]*)\?=/g, (_, b64: string) => Buffer.from(b64, 'base64').toString('utf8'));
}

describe('unstructured header text (RFC 5322 §3.2.5, RFC 2047)', () => {
  // Without the CR, LF and NUL the composer refuses, any text a subject may hold.
  const subject = fc
    .string({
      unit: fc.oneof(
        fc.constantFrom('=?', '?=', '\x7f', '\t', '\x01', '\x1b', ' '),
        fc.string({ unit: 'grapheme', maxLength: 3 }),
      ),
      maxLength: 60,
    })
    .map((s) => s.replace(/[\r\n\0]/g, ''));

  test.prop([subject], { numRuns: 500 })(
    'the header block is printable ASCII and a reader shows the subject as it was given',
    (text) => {
      const raw = composeMessage({ ...base, subject: text }).raw;
      // VCHAR and WSP only (RFC 5322 §2.2): no DEL, no C0 control but TAB and the CRLF of folding.
      expect(headerBlock(raw).replace(/\r\n/g, '')).toMatch(/^[\x20-\x7e\t]*$/);
      expect(display(subjectOf(raw))).toBe(text);
    },
  );

  it.each([
    ['text that looks like an encoded word', '=?UTF-8?B?SGk=?= there'],
    ['a DEL', 'a\x7fb'],
    ['an escape', 'a\x1b[31mb'],
    ['a TAB', 'a\tb'],
  ])('%s is encoded, so a reader shows it as it was', (_, text) => {
    const written = subjectOf(composeMessage({ ...base, subject: text }).raw);
    expect(written).toMatch(/^=\?UTF-8\?B\?/);
    expect(display(written)).toBe(text);
  });

  it('emoji (UTF-16 surrogate pairs) are never split between two words', () => {
    for (let lead = 0; lead < 4; lead++) {
      const text = `${'a'.repeat(lead)}${'😀'.repeat(40)}`;
      const written = subjectOf(composeMessage({ ...base, subject: text }).raw);
      for (const word of written.split(' ')) {
        const bytes = Buffer.from(/^=\?UTF-8\?B\?([^?]*)\?=$/.exec(word)?.[1] ?? '', 'base64');
        expect(new TextDecoder('utf-8', { fatal: true }).decode(bytes)).not.toContain('\uFFFD');
      }
      expect(display(written)).toBe(text);
    }
  });

  it('each word but the last is full: 45 octets, 60 base64 characters, a 72-character word', () => {
    const text = `${'a'.repeat(134)}\x7f`;
    const words = subjectOf(composeMessage({ ...base, subject: text }).raw).split(' ');
    expect(words.map((w) => w.length)).toEqual([72, 72, 72]);
  });
});
