import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { composeMessage } from '../../src/message/compose.js';

const base = {
  to: ['bob@example.net'],
  date: new Date(Date.UTC(2026, 10, 29, 7, 5, 9)),
  random: (size: number) => new Uint8Array(size),
};
const fromLine = (from: string) => {
  const text = new TextDecoder().decode(composeMessage({ ...base, from }).raw);
  const headers = text.slice(0, text.indexOf('\r\n\r\n')).replace(/\r\n[ \t]/g, ' ');
  return headers.split('\r\n').find((l) => l.startsWith('From: ')) ?? '';
};

/** RFC 5322 §3.2.3 atext: what a display-name word may carry without quotes. */
const ATOMS = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+( [A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+)*$/;

/** The display name a reader gets from a phrase: a quoted-string unescaped, or atoms as they are. */
function readPhrase(phrase: string): string {
  if (phrase.startsWith('"')) {
    const match = /^"((?:[^"\\]|\\.)*)"$/.exec(phrase);
    if (match === null) throw new Error(`not one quoted-string: ${phrase}`);
    return (match[1] ?? '').replace(/\\(.)/g, '$1');
  }
  if (!ATOMS.test(phrase)) throw new Error(`not atoms: ${phrase}`);
  return phrase;
}

describe('display names (RFC 5322 §3.4 phrase)', () => {
  // Specials ("(),.:;<>@[\]) in a phrase must be quoted: unquoted, `Team: Ops <a@x>` reads as a group
  // and `a@b <a@x>` as a second address.
  test.prop(
    [
      fc.string({
        unit: fc.constantFrom(
          'a',
          'Z',
          ' ',
          '"',
          '\\',
          '<',
          '>',
          '@',
          '(',
          ')',
          ',',
          '.',
          ':',
          ';',
          '[',
          ']',
          '!',
        ),
        minLength: 1,
        maxLength: 20,
      }),
    ],
    { numRuns: 500 },
  )('any printable-ASCII name comes back from the From header as it was given, spaces included', (name) => {
    const quoted = `"${name.replace(/(["\\])/g, '\\$1')}"`;
    const line = fromLine(`${quoted} <a@example.org>`);
    expect(line.endsWith(' <a@example.org>')).toBe(true);
    expect(readPhrase(line.slice('From: '.length, -' <a@example.org>'.length))).toBe(name);
  });

  it.each([
    [' Ann  Lee ', '" Ann  Lee "'],
    ['   ', '"   "'],
    ['From ', '"From "'],
    ['Ann Lee', 'Ann Lee'],
    ['Team: Ops', '"Team: Ops"'],
    ['a@b', '"a@b"'],
    ['a"b', '"a\\"b"'],
    ['a\\b', '"a\\\\b"'],
  ])('the name %s is written as %s', (name, phrase) => {
    expect(fromLine(`"${name.replace(/(["\\])/g, '\\$1')}" <a@example.org>`)).toBe(
      `From: ${phrase} <a@example.org>`,
    );
  });

  it('a quoted name holding "<" is the name: the address is the last <...>', () => {
    expect(fromLine('"a <b" <x@example.org>')).toBe('From: "a <b" <x@example.org>');
  });

  it.each(['<a@example.org>', '"" <a@example.org>', '  <a@example.org>'])(
    'an empty display name (%s) is left out, not written as an empty phrase',
    (from) => {
      expect(fromLine(from)).toBe('From: a@example.org');
    },
  );

  it.each([
    ['"A" "B" <a@example.org>', 'From: A B <a@example.org>'],
    ['Dr. "Who" <a@example.org>', 'From: "Dr. Who" <a@example.org>'],
    ['"Doe, J." Smith <a@example.org>', 'From: "Doe, J. Smith" <a@example.org>'],
    // §3.2.2: no white space between two words reads as nothing, a run of it as one space.
    ['"A""B" <a@example.org>', 'From: AB <a@example.org>'],
    ['"John "Johnny" Doe" <a@example.org>', 'From: John Johnny Doe <a@example.org>'],
    ['"A"   \t "B" <a@example.org>', 'From: A B <a@example.org>'],
    // A comment is not part of the phrase (§3.2.2, §3.2.5): it reads as white space.
    ['"Doe, John" (Sales) <a@example.org>', 'From: "Doe, John" <a@example.org>'],
    ['"A" (x (nested) \\) y) "B" <a@example.org>', 'From: A B <a@example.org>'],
  ])('a name of several words, some quoted (%s), reads as those words (RFC 5322 §3.2.5)', (from, line) => {
    // Taken as one quoted-string, `"A" "B"` became `"A\" \"B"`: readers showed `A" "B`.
    expect(fromLine(from)).toBe(line);
  });

  it('a lone double quote before the address is kept as the name, not read as an empty quoted-string', () => {
    expect(fromLine('" <a@example.org>')).toBe('From: "\\"" <a@example.org>');
  });

  it.each([
    ['CR', 'Evil\rBcc: x <a@example.org>'],
    ['LF', 'Evil\nBcc: x <a@example.org>'],
    ['NUL', 'Evil\0 <a@example.org>'],
  ])('a %s in a display name is refused with SMTP_CONTROL_CHARACTER, not encoded away', (_, from) => {
    expect(() => composeMessage({ ...base, from })).toThrow(
      expect.objectContaining({ code: 'SMTP_CONTROL_CHARACTER', field: 'from' }),
    );
    expect(() => composeMessage({ ...base, from: 'a@example.org', to: [from] })).toThrow(
      expect.objectContaining({ code: 'SMTP_CONTROL_CHARACTER', field: 'to[0]' }),
    );
  });
});
