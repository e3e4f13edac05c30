import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors/codes.js';
import { type ComposeOptions, composeMessage } from '../../src/message/compose.js';

const base = { from: 'a@example.org', to: ['bob@example.net'] };

describe('the random option (a caller-supplied source for Message-ID and boundaries)', () => {
  it.each([
    ['too many octets', (size: number) => new Uint8Array(size + 1)],
    ['a plain array', (size: number) => Array.from({ length: size }, () => 0)],
  ])('returning %s is SMTP_INVALID_ARGUMENT naming random, with the length asked for', (_, random) => {
    expect(() => composeMessage({ ...base, random: random as never })).toThrow(
      expect.objectContaining({
        code: 'SMTP_INVALID_ARGUMENT',
        field: 'random',
        message: expect.stringContaining('(16)'),
      }),
    );
  });
});

describe('text that is not valid Unicode (a lone UTF-16 surrogate has no UTF-8 form)', () => {
  const envelope = { from: 'a@example.com', to: 'b@example.org' };
  it.each([
    ['subject', { subject: 'x\ud800y' }],
    ['text', { text: 'tail \udc00' }],
    ['html', { html: '<p>\ud83d</p>' }],
    ['from', { from: '"Ann \ud800" <a@example.com>' }],
    ['to[0]', { to: ['"B \udfff" <b@example.org>'] }],
    ['headers.X-Tag', { headers: { 'X-Tag': 'a\ud800' } }],
    ['attachments[0].content', { attachments: [{ filename: 'a.txt', content: 'x\ud800' }] }],
  ])('%s is refused, not sent with U+FFFD in its place', (field, options) => {
    expect(() => composeMessage({ ...envelope, ...options } as ComposeOptions)).toThrow(
      expect.objectContaining({ code: ErrorCodes.INVALID_ARGUMENT, field }),
    );
  });

  it('a surrogate pair (an emoji) is fine', () => {
    expect(() => composeMessage({ ...envelope, subject: 'hi \ud83d\ude00' })).not.toThrow();
  });
});
