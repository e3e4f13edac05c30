import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors/codes.js';
import { SmtpProtocolError } from '../../src/errors/smtp-error.js';
import { ReplyParser } from '../../src/protocol/reply-parser.js';

const enc = (text: string): Uint8Array => new TextEncoder().encode(text);

// RFC 5321 §4.2: Reply-code = %x32-35 %x30-35 %x30-39. A 1yz code (positive preliminary, which
// RFC 5321 SMTP never uses) with an otherwise valid second digit is outside the grammar: '199' alone
// does not show it, since its second digit is out of range too.
describe('ReplyParser: the first digit of a reply code is 2 to 5', () => {
  it.each(['100 x\r\n', '150 go ahead\r\n', '155-a\r\n155 b\r\n', '000 x\r\n'])(
    '%j → SMTP_REPLY_MALFORMED',
    (input) => {
      let caught: unknown;
      try {
        new ReplyParser().push(enc(input));
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(SmtpProtocolError);
      expect((caught as SmtpProtocolError).code).toBe(ErrorCodes.REPLY_MALFORMED);
    },
  );

  it.each([
    ['200 x\r\n', 200],
    ['559 x\r\n', 559],
  ])('%j is the lowest or highest code accepted', (input, code) => {
    expect(new ReplyParser().push(enc(input)).map((reply) => reply.code)).toEqual([code]);
  });
});
