import { describe, expect, it } from 'vitest';
import { type Capabilities, parseEhloReply } from '../../src/protocol/capabilities.js';

const ehlo = (...lines: string[]): Capabilities =>
  parseEhloReply({ code: 250, lines: ['mx.example.org', ...lines] });

describe('parseEhloReply: SASL mechanism names are 1 to 20 characters (RFC 4422 §3.1)', () => {
  it('keeps a 20-character mechanism and drops a 21-character one', () => {
    const twenty = 'A'.repeat(20);
    const caps = ehlo(`AUTH PLAIN ${twenty} ${'B'.repeat(21)}`);
    expect(caps.auth).toEqual(['PLAIN', twenty]);
  });
});

// SIZE values of more than 15 digits cannot all be held exactly by a number (9999999999999999 reads as 10000000000000000):
// they count as no usable limit, 0.
describe('parseEhloReply: SIZE values of more than 15 digits', () => {
  it.each([
    ['999999999999999', 999_999_999_999_999],
    ['9999999999999999', 0],
  ])('SIZE %s → %d', (value, size) => {
    expect(ehlo(`SIZE ${value}`).size).toBe(size);
  });
});
