/**
 * A text attachment given as a string is sent as UTF-8 octets, so its part says `charset=utf-8`:
 * without a charset a text/* part is US-ASCII (RFC 2046 §4.1.2, RFC 2045 §5.2), and readers would
 * show "hÃ©llo". Bytes are the caller's own encoding: no charset is claimed for them.
 */
import { describe, expect, it } from 'vitest';
import { composeMessage } from '../../src/message/compose.js';

const compose = (attachment: { filename: string; content: string | Uint8Array; contentType?: string }) =>
  new TextDecoder().decode(
    composeMessage({
      from: 'a@example.org',
      to: ['bob@example.net'],
      date: new Date(Date.UTC(2026, 10, 29, 7, 5, 9)),
      attachments: [attachment],
    }).raw,
  );

describe('the charset of a text attachment', () => {
  it('a string as text/plain: charset=utf-8 beside the name, the octets UTF-8', () => {
    const text = compose({ filename: 'n.txt', content: 'héllo', contentType: 'text/plain' });
    expect(text).toContain('\r\nContent-Type: text/plain; charset=utf-8; name="n.txt"\r\n');
    expect(text).toContain(`\r\n\r\n${Buffer.from('héllo').toString('base64')}\r\n`);
  });

  it('a string as text/csv (any text/* type, in any case): charset=utf-8', () => {
    expect(compose({ filename: 'n.csv', content: 'a,b', contentType: 'Text/CSV' })).toContain(
      'Content-Type: Text/CSV; charset=utf-8; name="n.csv"',
    );
  });

  it('bytes as text/plain: no charset is claimed', () => {
    const text = compose({
      filename: 'n.txt',
      content: Buffer.from('h\xe9llo', 'latin1'),
      contentType: 'text/plain',
    });
    expect(text).toContain('\r\nContent-Type: text/plain; name="n.txt"\r\n');
  });

  it('a string of another type: no charset parameter', () => {
    expect(compose({ filename: 'n.bin', content: 'x' })).toContain(
      'Content-Type: application/octet-stream; name="n.bin"',
    );
  });
});

describe('the Content-Type line with its charset (RFC 5322 §2.1.1: 78 characters)', () => {
  it.each([1, 30, 45, 63, 120])(
    'a text type %i characters past "text/x-", any file name: every line fits',
    (n) => {
      for (const filename of ['n.txt', `${'f'.repeat(70)}.txt`]) {
        const text = compose({ filename, content: 'x', contentType: `text/x-${'a'.repeat(n)}` });
        const part = text.slice(text.indexOf('Content-Type: text/x-'));
        const header = part.slice(0, part.indexOf('\r\n\r\n'));
        const longest = Math.max(...header.split('\r\n').map((line) => line.length));
        // A type of 127 characters cannot fit on one line with its field name (RFC 6838 allows it).
        expect(longest).toBeLessThanOrEqual(Math.max(78, 'Content-Type: text/x-;'.length + n));
        expect(header.replace(/\r\n(?=[ \t])/g, '')).toContain('; charset=utf-8;');
      }
    },
  );
});
