import { describe, expect, it } from 'vitest';
import { composeMessage } from '../../src/message/compose.js';

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
