/**
 * RFC 5321 §4.5.3.1.10: a 552 "too many recipients" at RCPT is RFC 821's code for what is a 452.
 * isRecipientLimit552 knows it by its enhanced code 5.5.3 (RFC 3463 §3.6) or its text; asRcptRefusal
 * classifies it as the 452; deferredAtRcpt says which RCPT refusals another transaction may overcome.
 */
import { describe, expect, it } from 'vitest';
import { asRcptRefusal, deferredAtRcpt, isRecipientLimit552 } from '../../src/errors/classify.js';
import type { Reply } from '../../src/protocol/reply-types.js';

const reply = (code: number, ...lines: string[]): Reply => ({ code, lines });

describe('isRecipientLimit552', () => {
  it.each<[Reply, boolean]>([
    [reply(552, '5.5.3 Too many recipients'), true],
    [reply(552, '5.5.3 limit'), true],
    [reply(552, 'TOO MANY RECIPIENTS'), true],
    [{ code: 552, enhanced: { class: 5, subject: 5, detail: 3 }, lines: ['limit'] }, true],
    [reply(552, '5.2.2 Mailbox full'), false],
    [reply(552, '5.5.2 Syntax error'), false],
    [reply(552, '5.3.3 Feature not supported'), false],
    [reply(552, '5.5.3 Too many recipients', 'see the limits page'), true],
    [reply(553, '5.5.3 Too many recipients'), false],
    [reply(554, '5.5.3 Too many recipients'), false],
    [reply(452, '4.5.3 Too many recipients'), false],
  ])('%o → %s', (wire, expected) => {
    expect(isRecipientLimit552(wire)).toBe(expected);
  });
});

describe('asRcptRefusal', () => {
  it('turns a 552 "too many recipients" into a 452 without the 5.5.3 that would contradict it', () => {
    const wire: Reply = {
      code: 552,
      enhanced: { class: 5, subject: 5, detail: 3 },
      lines: ['5.5.3 Too many'],
    };
    expect(asRcptRefusal(wire)).toEqual({ code: 452, lines: ['5.5.3 Too many'] });
  });

  it('leaves any other reply as it is', () => {
    const wire = reply(552, '5.2.2 Mailbox full');
    expect(asRcptRefusal(wire)).toBe(wire);
  });
});

describe('deferredAtRcpt', () => {
  it.each<[Reply, boolean]>([
    [reply(400, 'x'), true],
    [reply(450, 'mailbox busy'), true],
    [reply(499, 'x'), true],
    [reply(552, '5.5.3 Too many recipients'), true],
    [reply(500, 'x'), false],
    [reply(550, 'no such user'), false],
    [reply(552, '5.2.2 Mailbox full'), false],
    [reply(399, 'x'), false],
  ])('%o → %s', (wire, expected) => {
    expect(deferredAtRcpt(wire)).toBe(expected);
  });
});
