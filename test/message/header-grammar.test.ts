/**
 * Extra headers written by their own grammar (RFC 5322 §3.6; RFC 2047 §5), found by review: msg-id
 * and URL headers never get encoded-words, Sender takes one mailbox, a name given twice (header
 * names are case-insensitive) is refused, and a word too long for one line is encoded rather than
 * refused — or, where it cannot be, refused naming its own field.
 */
import { describe, expect, it } from 'vitest';
import { composeMessage } from '../../src/message/compose.js';

const base = {
  from: 'a@example.org',
  to: ['bob@example.net'],
  date: new Date(Date.UTC(2026, 10, 29, 7, 5, 9)),
  random: (size: number) => new Uint8Array(size),
};

/** The header section, unfolded (RFC 5322 §2.2.3). */
function headerSection(options: object): string {
  const text = new TextDecoder().decode(composeMessage({ ...base, ...options }).raw);
  return text.slice(0, text.indexOf('\r\n\r\n')).replace(/\r\n(?=[ \t])/g, '');
}

/** RFC 2047 B and Q words back to text (what a reader shows). */
function decodeWords(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?UTF-8\?([BQ])\?([^?]*)\?=/gi, (_, kind: string, text: string) =>
      kind.toUpperCase() === 'B'
        ? Buffer.from(text, 'base64').toString('utf8')
        : Buffer.from(
            text
              .replace(/_/g, ' ')
              .replace(/=([0-9A-F]{2})/gi, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))),
            'latin1',
          ).toString('utf8'),
    );
}

describe('msg-id and URL headers are written as given, never as encoded-words', () => {
  it.each([
    ['References', '<a=?b@x.example>'],
    ['In-Reply-To', '<a=?b@x.example>'],
    ['List-Unsubscribe', '<https://x.example/u?a=?>'],
    ['References', '<a@x.example>\t<b@x.example>'],
  ])('%s: %j', (name, value) => {
    expect(headerSection({ headers: { [name]: value } })).toContain(`${name}: ${value}`);
  });

  it('a control character other than TAB in one is SMTP_CONTROL_CHARACTER naming it', () => {
    expect(() => composeMessage({ ...base, headers: { References: '<a\x01b@x.example>' } })).toThrow(
      expect.objectContaining({ code: 'SMTP_CONTROL_CHARACTER', field: 'headers.References' }),
    );
  });
});

describe('Sender holds one mailbox (RFC 5322 §3.6.2)', () => {
  it('Sender with two: SMTP_INVALID_ARGUMENT naming it', () => {
    expect(() => composeMessage({ ...base, headers: { Sender: 'a@x.example, b@y.example' } })).toThrow(
      expect.objectContaining({ code: 'SMTP_INVALID_ARGUMENT', field: 'headers.Sender' }),
    );
    expect(headerSection({ headers: { Sender: 'A <a@x.example>' } })).toContain('Sender: A <a@x.example>');
  });
});

describe('trace and resent fields are not for a new message (RFC 5321 §4.4, RFC 5322 §3.6.6)', () => {
  // Resent-Bcc written as an extra header showed its addresses to every recipient, and resent and
  // trace blocks go on top of a header, not after From.
  it.each(['Resent-Bcc', 'Resent-To', 'resent-from', 'Resent-Message-ID', 'Received', 'Return-Path'])(
    '%s: SMTP_INVALID_ARGUMENT before anything is written',
    (name) => {
      expect(() => composeMessage({ ...base, headers: { [name]: '<a@x.example>' } })).toThrow(
        expect.objectContaining({ code: 'SMTP_INVALID_ARGUMENT', field: 'headers' }),
      );
    },
  );
});

describe('structured headers with no place for an encoded-word are written as given', () => {
  // RFC 2047 §5: a msg-id (Content-ID), a URL (Archived-At) or a tag list (DKIM-Signature) holding
  // "=?" or a TAB used to be encoded as a whole, which destroys it.
  it.each([
    ['Content-ID', '<x=?y@example.org>'],
    ['Archived-At', '<https://example.org/a?b=?c>'],
    ['DKIM-Signature', 'v=1;\td=example.org; s=sel; b=abc=?'],
    ['Original-Message-ID', '<a=?b@example.org>'],
    ['Content-Location', 'https://example.org/a?b=?c'],
  ])('%s: %s', (name, value) => {
    expect(headerSection({ headers: { [name]: value } })).toContain(`\r\n${name}: ${value}`);
  });
});

describe('a header name too long for a line with its value (RFC 5322 §2.1.1)', () => {
  it('77 characters or more: SMTP_INVALID_ARGUMENT (an empty value used to become an empty encoded-word)', () => {
    expect(() => composeMessage({ ...base, headers: { [`X-${'a'.repeat(75)}`]: '' } })).toThrow(
      expect.objectContaining({ code: 'SMTP_INVALID_ARGUMENT', field: 'headers' }),
    );
    expect(headerSection({ headers: { [`X-${'a'.repeat(74)}`]: 'v' } })).toContain(`X-${'a'.repeat(74)}: v`);
  });
});

describe('a header name given twice', () => {
  it.each([
    ['Sender', 'sender'],
    ['References', 'REFERENCES'],
    ['X-Tag', 'x-tag'],
  ])('%s and %s: SMTP_INVALID_ARGUMENT (names are case-insensitive)', (one, two) => {
    expect(() =>
      composeMessage({ ...base, headers: { [one]: '<a@x.example>', [two]: '<b@x.example>' } }),
    ).toThrow(expect.objectContaining({ code: 'SMTP_INVALID_ARGUMENT', field: `headers.${two}` }));
  });
});

describe('a word too long for one header line (998 octets, RFC 5322 §2.1.1)', () => {
  it.each([
    ['one long word', 'x'.repeat(1000)],
    ['a long run of spaces', `a${' '.repeat(1000)}b`],
    ['a long word among short ones', `re: ${'y'.repeat(1200)} done`],
  ])('in the subject (%s): encoded-words, every line ≤ 998, reading back as given', (_, subject) => {
    const { raw } = composeMessage({ ...base, subject });
    const text = new TextDecoder().decode(raw);
    const head = text.slice(0, text.indexOf('\r\n\r\n'));
    for (const line of head.split('\r\n')) expect(line.length).toBeLessThanOrEqual(998);
    const value = headerSection({ subject }).match(/^Subject: (.*)$/m)?.[1] ?? '';
    expect(decodeWords(value)).toBe(subject);
  });

  it('in a display name: encoded-words too', () => {
    const name = 'N'.repeat(1000);
    const value = headerSection({ from: `${name} <a@example.org>` }).match(/^From: (.*)$/m)?.[1] ?? '';
    expect(value.endsWith(' <a@example.org>')).toBe(true);
    expect(decodeWords(value.slice(0, -' <a@example.org>'.length))).toBe(name);
  });

  it('in a header with no encoded-words (a msg-id): refused, naming that header', () => {
    expect(() =>
      composeMessage({ ...base, headers: { References: `<${'z'.repeat(1000)}@x.example>` } }),
    ).toThrow(expect.objectContaining({ code: 'SMTP_INVALID_ARGUMENT', field: 'headers.References' }));
  });
});
