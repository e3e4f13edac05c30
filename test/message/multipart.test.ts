import { describe, expect, it } from 'vitest';
import { composeMessage } from '../../src/message/compose.js';

const counter = () => {
  let n = 0;
  return (size: number) => new Uint8Array(size).fill(n++ & 0xff);
};
const base = {
  from: 'a@example.org',
  to: ['bob@example.net'],
  date: new Date(Date.UTC(2026, 10, 29, 7, 5, 9)),
  random: counter(),
};
const compose = (extra: object) =>
  new TextDecoder().decode(composeMessage({ ...base, random: counter(), ...extra }).raw);
const body = (text: string) => text.slice(text.indexOf('\r\n\r\n') + 4);

describe('the MIME structure (RFC 2046)', () => {
  it('neither text nor html: one empty text/plain part, not an empty multipart', () => {
    const text = compose({});
    expect(text).toContain(
      '\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n',
    );
    expect(text).not.toContain('multipart');
    expect(body(text)).toBe('');
  });

  it('an attachment without text still gets the empty text/plain part first', () => {
    const text = compose({ attachments: [{ filename: 'a.bin', content: 'x' }] });
    const boundary = /multipart\/mixed; boundary="([^"]+)"/.exec(text)?.[1] ?? '';
    expect(body(text).startsWith(`--${boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n`)).toBe(true);
  });

  it('nested multiparts use two different boundaries (§5.1.2: an inner one must not be the outer one)', () => {
    const text = compose({
      text: 'plain',
      html: '<p>html</p>',
      attachments: [{ filename: 'a.bin', content: 'x' }],
    });
    const boundaries = [...text.matchAll(/boundary="([^"]+)"/g)].map((m) => m[1]);
    expect(boundaries).toHaveLength(2);
    expect(new Set(boundaries).size).toBe(2);
    // The outer delimiters: before the alternative part, before the attachment, and the close.
    const [outer, inner] = boundaries as [string, string]; // the mixed one is written first
    expect(text.split(`\r\n--${outer}`).length - 1).toBe(3);
    expect(text).toContain(`\r\n--${outer}--`);
    expect(text.indexOf(`--${inner}--`)).toBeLessThan(text.lastIndexOf(`--${outer}\r\n`));
  });
});

describe('a boundary never occurs in what it encloses (RFC 2046 §5.1.1), whatever the random source', () => {
  /**
   * Each boundary of the message with how often `--boundary` occurs anywhere in it: a multipart of two
   * parts has exactly three (two delimiters and the close); more means it occurs in what it encloses
   * (or another boundary begins with it).
   */
  const delimiterCounts = (text: string) =>
    [...text.matchAll(/boundary="([^"]+)"/g)].map(([, boundary]) => text.split(`--${boundary}`).length - 1);

  it('a constant random source: nested multiparts still get two boundaries', () => {
    const text = new TextDecoder().decode(
      composeMessage({
        ...base,
        random: (size: number) => new Uint8Array(size),
        text: 'plain',
        html: '<p>html</p>',
        attachments: [{ filename: 'a.bin', content: 'x' }],
      }).raw,
    );
    const boundaries = [...text.matchAll(/boundary="([^"]+)"/g)].map((m) => m[1]);
    expect(boundaries).toHaveLength(2);
    expect(new Set(boundaries).size).toBe(2);
    expect(delimiterCounts(text)).toEqual([3, 3]); // the mixed one's, then the alternative's
  });

  it('a text that holds the very delimiter the source will draw: the boundary is another one', () => {
    const zeros = (size: number) => new Uint8Array(size);
    const drawn = `=_sm_${'00'.repeat(12)}`;
    const text = new TextDecoder().decode(
      composeMessage({
        ...base,
        random: zeros,
        text: `forwarded:\r\n--${drawn}\r\nContent-Type: text/plain\r\n\r\nspoofed\r\n--${drawn}--\r\n`,
        html: '<p>html</p>',
      }).raw,
    );
    expect(delimiterCounts(text)).toEqual([3]);
    expect(text).toContain(`\r\n\r\nforwarded:\r\n--${drawn}\r\n`); // the text itself unchanged
  });
});
