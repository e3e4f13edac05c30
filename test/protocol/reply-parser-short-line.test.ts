import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors/codes.js';
import { SmtpProtocolError } from '../../src/errors/smtp-error.js';
import { ReplyParser } from '../../src/protocol/reply-parser.js';

const enc = (text: string): Uint8Array => new TextEncoder().encode(text);

// A line shorter than a reply code (RFC 5321 §4.2: three digits) is refused for being short, whatever
// its digits: the message says what is wrong, not "invalid reply code" for a code that is not there.
describe('ReplyParser: a line shorter than three octets', () => {
  it.each(['25\r\n', '25\n', '2\r\n', '\r\n', '250-a\r\n25\r\n'])('%j', (input) => {
    let caught: unknown;
    try {
      new ReplyParser().push(enc(input));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SmtpProtocolError);
    expect((caught as SmtpProtocolError).code).toBe(ErrorCodes.REPLY_MALFORMED);
    expect((caught as SmtpProtocolError).message).toContain('line shorter than a reply code');
  });
});
