import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { SmtpUsageError } from '../../src/errors/smtp-error.js';
import { composeMessage, formatDate, textBody } from '../../src/message/compose.js';
import { encodeQuotedPrintable } from '../../src/message/quoted-printable.js';

const counter = () => {
  let n = 0;
  return (size: number) => new Uint8Array(size).fill(n++ & 0xff);
};
const decode = (raw: Uint8Array) => new TextDecoder().decode(raw);
const headerBlock = (text: string) => text.slice(0, text.indexOf('\r\n\r\n'));
const unfold = (text: string) => text.replace(/\r\n[ \t]/g, ' ');

function decodeWords(value: string): string {
  // RFC 2047 §6.2: white space between adjacent encoded words is not displayed.
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?UTF-8\?B\?([^?]*)\?=/g, (_, b64: string) => Buffer.from(b64, 'base64').toString('utf8'));
}

function decodeQuotedPrintable(body: string): string {
  const bytes = Buffer.from(
    body
      .replace(/=\r\n/g, '')
      .replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16))),
    'latin1',
  );
  return bytes.toString('utf8');
}

const base = {
  from: 'Ada <ada@example.org>',
  to: ['bob@example.net'],
  date: new Date(Date.UTC(2026, 10, 29, 7, 5, 9)),
  random: counter(),
};

describe('composeMessage', () => {
  it('writes the RFC 5322 headers and a 7bit text body', () => {
    const message = composeMessage({ ...base, subject: 'Hello', text: 'line one\nline two' });
    const text = decode(message.raw);
    expect(headerBlock(text).split('\r\n')).toEqual([
      'From: Ada <ada@example.org>',
      'To: bob@example.net',
      'Subject: Hello',
      'Date: Sun, 29 Nov 2026 07:05:09 +0000',
      `Message-ID: ${message.messageId}`,
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: 7bit',
    ]);
    expect(text.endsWith('\r\n\r\nline one\r\nline two')).toBe(true);
    expect(message.envelope).toEqual({ from: 'ada@example.org', to: ['bob@example.net'] });
    expect(message.messageId).toMatch(/^<[0-9a-f]{32}@example\.org>$/);
  });

  it('draws Message-IDs and boundaries from the CSPRNG without repeats (octets taken from blocks once each)', () => {
    const { random: _deterministic, ...unseeded } = base;
    const ids = new Set<string>();
    const boundaries = new Set<string>();
    // More than one 4 KiB block of random octets (16 for the id, 12 for each boundary).
    for (let i = 0; i < 400; i++) {
      const message = composeMessage({ ...unseeded, text: 'plain', html: '<p>html</p>' });
      ids.add(message.messageId);
      boundaries.add(/boundary="([^"]+)"/.exec(decode(message.raw))?.[1] ?? '');
    }
    expect(ids.size).toBe(400);
    expect(boundaries.size).toBe(400);
    expect([...ids].every((id) => /^<[0-9a-f]{32}@example\.org>$/.test(id))).toBe(true);
  });

  it('puts Bcc recipients in the envelope only, once each', () => {
    const message = composeMessage({
      ...base,
      cc: ['c@example.net', 'bob@example.net'],
      bcc: ['hidden@example.net'],
    });
    const text = decode(message.raw);
    expect(text).not.toContain('hidden@');
    expect(headerBlock(text)).toContain('Cc: c@example.net, bob@example.net');
    expect(message.envelope.to).toEqual(['bob@example.net', 'c@example.net', 'hidden@example.net']);
  });

  it('encodes non-ASCII subjects and names as RFC 2047 words that decode back', () => {
    const subject = 'Grüße aus Köln — ünïcödé '.repeat(6);
    const message = composeMessage({ ...base, from: 'Zoë Ñúñez <zoe@example.org>', subject });
    const headers = unfold(headerBlock(decode(message.raw)));
    const subjectLine = headers.split('\r\n').find((l) => l.startsWith('Subject: ')) ?? '';
    expect(decodeWords(subjectLine.slice('Subject: '.length))).toBe(subject);
    expect(decodeWords(headers)).toContain('From: Zoë Ñúñez <zoe@example.org>');
    for (const line of headerBlock(decode(message.raw)).split('\r\n'))
      expect(line.length).toBeLessThanOrEqual(78);
  });

  it('quotes display names with specials', () => {
    const message = composeMessage({ ...base, from: '"Doe, J. \\"JD\\"" <jd@example.org>' });
    expect(decode(message.raw)).toContain('From: "Doe, J. \\"JD\\"" <jd@example.org>');
  });

  it('uses quoted-printable for non-ASCII or long-line text and keeps it decodable', () => {
    const body = `Ça va? ${'x'.repeat(1200)}\nnext line ✓`;
    const message = composeMessage({ ...base, text: body });
    const text = decode(message.raw);
    expect(text).toContain('Content-Transfer-Encoding: quoted-printable');
    const encoded = text.slice(text.indexOf('\r\n\r\n') + 4);
    for (const line of encoded.split('\r\n')) expect(line.length).toBeLessThanOrEqual(76);
    expect(decodeQuotedPrintable(encoded).replace(/\r\n/g, '\n')).toBe(body);
  });

  it('builds multipart/alternative inside multipart/mixed with base64 attachments', () => {
    const content = new Uint8Array(500).map((_, i) => i & 0xff);
    const message = composeMessage({
      ...base,
      text: 'plain',
      html: '<p>html</p>',
      attachments: [
        { filename: 'data.bin', content },
        { filename: 'résumé.pdf', content: 'pdf', contentType: 'application/pdf' },
      ],
    });
    const text = decode(message.raw);
    expect(text).toMatch(/Content-Type: multipart\/mixed; boundary="=_sm_[0-9a-f]+"/);
    expect(text).toMatch(/Content-Type: multipart\/alternative; boundary="=_sm_[0-9a-f]+"/);
    expect(text).toContain('Content-Disposition: attachment; filename="data.bin"');
    expect(text).toContain("filename*=UTF-8''r%C3%A9sum%C3%A9.pdf");
    const start = text.indexOf('filename="data.bin"') + 'filename="data.bin"'.length + 4;
    const b64 = text.slice(start, text.indexOf('\r\n--', start));
    for (const line of b64.split('\r\n')) expect(line.length).toBeLessThanOrEqual(76);
    expect(new Uint8Array(Buffer.from(b64.replace(/\r\n/g, ''), 'base64'))).toEqual(content);
  });

  it.each([
    ['subject', { subject: 'hi\r\nBcc: evil@example.com' }],
    ['header value', { headers: { 'X-Tag': 'a\nb' } }],
    ['header name', { headers: { 'X-Bad:Name': 'v' } }],
    ['from', { from: 'a@example.org\r\nRCPT TO:<evil@example.com>' }],
    ['attachment name', { attachments: [{ filename: 'a\r\n.b', content: 'x' }] }],
  ])('refuses header injection through the %s', (_, extra) => {
    expect(() => composeMessage({ ...base, ...extra })).toThrow(SmtpUsageError);
  });

  it.each(['Subject', 'from', 'Message-ID', 'MIME-Version', 'content-type'])(
    'refuses an extra %s header (the composer writes it; a second one makes the message invalid)',
    (name) => {
      expect(() => composeMessage({ ...base, headers: { [name]: 'x' } })).toThrow(
        expect.objectContaining({ code: 'SMTP_INVALID_ARGUMENT', field: 'headers' }),
      );
    },
  );

  it('keeps every part header line short for long non-ASCII file names (RFC 2231 continuations)', () => {
    const filename = `${'ünïcödé-'.repeat(80)}.pdf`;
    const text = decode(composeMessage({ ...base, attachments: [{ filename, content: 'x' }] }).raw);
    for (const line of text.split('\r\n')) expect(line.length).toBeLessThanOrEqual(78);
    const disposition = unfold(text.slice(text.indexOf('Content-Disposition:')).split('\r\n\r\n')[0] ?? '');
    const pieces = [...disposition.matchAll(/filename\*(\d+)\*=(?:UTF-8'')?([^;\s]*)/g)];
    expect(pieces.map((m) => Number(m[1]))).toEqual(pieces.map((_, i) => i));
    expect(decodeURIComponent(pieces.map((m) => m[2]).join(''))).toBe(filename);
  });

  it('refuses a message without recipients', () => {
    expect(() => composeMessage({ from: 'a@example.org' })).toThrow(
      expect.objectContaining({ code: 'SMTP_NO_RECIPIENTS' }),
    );
  });

  it('formats dates per RFC 5322 §3.3', () => {
    expect(formatDate(new Date(Date.UTC(2024, 1, 3, 4, 5, 6)))).toBe('Sat, 03 Feb 2024 04:05:06 +0000');
  });

  test.prop(
    [fc.string({ unit: 'grapheme', maxLength: 300 }), fc.string({ unit: 'grapheme', maxLength: 3000 })],
    { numRuns: 200 },
  )('any subject and text give 7-bit clean CRLF lines of at most 998 octets', (subject, body) => {
    const clean = (s: string) => s.replace(/[\0-\x08\x0b\x0c\x0e-\x1f\x7f]/g, '');
    const raw = composeMessage({
      ...base,
      subject: clean(subject).replace(/[\r\n]/g, ' '),
      text: clean(body),
    }).raw;
    expect(raw.every((b) => b < 0x80)).toBe(true);
    const text = decode(raw);
    expect(text.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    for (const line of text.split('\r\n')) expect(line.length).toBeLessThanOrEqual(998);
  });
});

describe('textBody (a text part in one pass)', () => {
  /** The rule as first written: split on any break, 7bit when ASCII, no NUL and no line over 998. */
  function reference(text: string) {
    const lines = text.split(/\r\n|\r|\n/);
    const sevenBit =
      [...text].every((ch) => ch.charCodeAt(0) <= 0x7f) &&
      !text.includes('\0') &&
      lines.every((l) => l.length <= 998);
    return sevenBit
      ? { encoding: '7bit', body: lines.join('\r\n') }
      : { encoding: 'quoted-printable', body: encodeQuotedPrintable(text) };
  }
  const piece = fc.oneof(
    fc.constantFrom('\r\n', '\r', '\n', '\0', 'é', '😀', ' ', '.', 'a'),
    fc.string({ maxLength: 20 }),
    fc.nat({ max: 1100 }).map((n) => 'x'.repeat(n)),
  );

  test.prop([fc.array(piece, { maxLength: 30 })], { numRuns: 500 })(
    'answers as the split-and-check rule for any text (breaks, NUL, 8-bit, lines around 998)',
    (pieces) => {
      const text = pieces.join('');
      expect(textBody(text)).toEqual(reference(text));
    },
  );

  it('keeps a CRLF-only text as it is and makes other breaks CRLF', () => {
    expect(textBody('a\r\nb\r\n')).toEqual({ encoding: '7bit', body: 'a\r\nb\r\n' });
    expect(textBody('a\nb\rc\r\n')).toEqual({ encoding: '7bit', body: 'a\r\nb\r\nc\r\n' });
    expect(textBody(`${'x'.repeat(998)}\r\n`).encoding).toBe('7bit');
    expect(textBody(`${'x'.repeat(999)}\r\n`).encoding).toBe('quoted-printable');
  });
});
