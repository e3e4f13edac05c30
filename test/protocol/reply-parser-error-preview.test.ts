import { describe, expect, it } from 'vitest';
import { SmtpProtocolError } from '../../src/errors/smtp-error.js';
import { ReplyParser } from '../../src/protocol/reply-parser.js';

const enc = (text: string): Uint8Array => new TextEncoder().encode(text);

function malformedMessage(text: string): string {
  try {
    new ReplyParser().push(enc(text));
  } catch (error) {
    expect(error).toBeInstanceOf(SmtpProtocolError);
    return (error as SmtpProtocolError).message;
  }
  throw new Error('expected the reply to be refused');
}

// A malformed line is quoted in the error, at most 100 octets of it; a cut quote says so with '…'.
describe('ReplyParser: the quote of a malformed line', () => {
  it('marks a quote cut at 100 octets with …', () => {
    const message = malformedMessage(`XXX ${'y'.repeat(200)}\r\n`);
    expect(message).toContain(`"XXX ${'y'.repeat(96)}"…`);
    expect(message).not.toContain('y'.repeat(97));
  });

  it('quotes a short line whole, without …', () => {
    const message = malformedMessage('XXX short\r\n');
    expect(message).toContain(`"XXX short`);
    expect(message).not.toContain('…');
  });
});
