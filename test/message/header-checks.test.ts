import { describe, expect, it } from 'vitest';
import { composeMessage } from '../../src/message/compose.js';

const base = {
  from: 'a@example.org',
  to: ['bob@example.net'],
  date: new Date(Date.UTC(2026, 10, 29, 7, 5, 9)),
  random: (size: number) => new Uint8Array(size),
};

describe('header names and values the composer refuses before writing anything', () => {
  it.each(['X A', 'X\tA', 'X-Ü', '', ' X-A', 'X-A:'])(
    'the header name %j is not RFC 5322 ftext: SMTP_INVALID_ARGUMENT',
    (name) => {
      expect(() => composeMessage({ ...base, headers: { [name]: 'v' } })).toThrow(
        expect.objectContaining({ code: 'SMTP_INVALID_ARGUMENT', field: 'headers' }),
      );
    },
  );

  it.each([
    ['a CR alone', 'a\rb'],
    ['an LF alone', 'a\nb'],
    ['a NUL', 'a\0b'],
  ])('%s in the subject or an extra header is SMTP_CONTROL_CHARACTER, not encoded away', (_, value) => {
    expect(() => composeMessage({ ...base, subject: value })).toThrow(
      expect.objectContaining({ code: 'SMTP_CONTROL_CHARACTER', field: 'Subject' }),
    );
    expect(() => composeMessage({ ...base, headers: { 'X-Note': value } })).toThrow(
      expect.objectContaining({ code: 'SMTP_CONTROL_CHARACTER', field: 'X-Note' }),
    );
  });

  it.each([
    'FROM',
    'To',
    'cc',
    'BCC',
    'Reply-To',
    'Subject',
    'Date',
    'Message-Id',
    'Mime-Version',
    'Content-Type',
    'Content-Transfer-Encoding',
    'Content-Disposition',
  ])('%s as an extra header is refused: the composer writes it (or, for Bcc, must not)', (name) => {
    expect(() => composeMessage({ ...base, headers: { [name]: 'x' } })).toThrow(
      expect.objectContaining({ code: 'SMTP_INVALID_ARGUMENT', field: 'headers' }),
    );
  });

  it('a date after year 9999 is refused (four-digit years: RFC 5322 §3.3 as the composer documents it)', () => {
    expect(() => composeMessage({ ...base, date: new Date(Date.UTC(10000, 0, 1)) })).toThrow(
      expect.objectContaining({ code: 'SMTP_INVALID_ARGUMENT', field: 'date' }),
    );
    expect(
      new TextDecoder().decode(composeMessage({ ...base, date: new Date(Date.UTC(9999, 11, 31)) }).raw),
    ).toContain('Date: Fri, 31 Dec 9999 00:00:00 +0000\r\n');
  });

  it.each(['', ' ', ' , '])('an address header with no address (%j) is SMTP_INVALID_ADDRESS', (value) => {
    expect(() => composeMessage({ ...base, headers: { Sender: value } })).toThrow(
      expect.objectContaining({ code: 'SMTP_INVALID_ADDRESS', field: 'headers.Sender' }),
    );
  });
});

describe('attachment media types (RFC 6838 §4.2 names, matched without regard to case)', () => {
  const attach = (contentType: string, content = 'Subject: hi\r\n\r\nbody\r\n') =>
    new TextDecoder().decode(
      composeMessage({ ...base, attachments: [{ filename: 'x', content, contentType }] }).raw,
    );

  it.each(['text/csv; charset=utf-8', 'text/csv\r\nBcc: evil@example.com', 'text/', 'text/a b', 'text/a"b'])(
    'a content type that is not type/subtype alone (%j) is refused',
    (contentType) => {
      expect(() => attach(contentType)).toThrow(
        expect.objectContaining({ code: 'SMTP_INVALID_ARGUMENT', field: 'attachments[0]' }),
      );
    },
  );

  it('Multipart/Mixed is refused as multipart/mixed is; Message/RFC822 goes 7bit as message/rfc822 does', () => {
    expect(() => attach('Multipart/Mixed')).toThrow(
      expect.objectContaining({ code: 'SMTP_INVALID_ARGUMENT', field: 'attachments[0]' }),
    );
    expect(attach('Message/RFC822')).toContain(
      'Content-Type: Message/RFC822; name="x"\r\nContent-Transfer-Encoding: 7bit\r\n',
    );
    expect(() => attach('MESSAGE/rfc822', 'Subject: café\r\n\r\nx\r\n')).toThrow(
      expect.objectContaining({ code: 'SMTP_INVALID_ARGUMENT', field: 'attachments[0]' }),
    );
  });
});
