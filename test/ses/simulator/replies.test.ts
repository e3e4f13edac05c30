import { describe, expect, it } from 'vitest';
import { rejectionReason } from '../../../src/ses/simulator/rejections.js';
import { greetingBanner, notVerified, rewriteReply } from '../../../src/ses/simulator/replies.js';

describe('rewriteReply (smtp-server text → SES text)', () => {
  it.each([
    [
      538,
      'Error: Must issue a STARTTLS command first',
      { code: 530, data: 'Must issue a STARTTLS command first', close: false },
    ],
    [250, 'Accepted', { code: 250, data: 'Ok', close: false }],
    [250, 'Flushed', { code: 250, data: 'Ok', close: false }],
    [250, 'OK', { code: 250, data: 'Ok', close: false }],
    [235, 'Authentication successful', { code: 235, data: 'Authentication successful.', close: false }],
    [
      421,
      'Timeout - closing connection',
      { code: 451, data: '4.4.2 Timeout waiting for data from client', close: true },
    ],
    [
      421,
      'Too many concurrent SMTP connections',
      { code: 421, data: 'Too many concurrent SMTP connections', close: false },
    ],
    [221, 'Bye', { code: 221, data: 'Bye', close: false }],
    [503, 'Error: need RCPT command', { code: 503, data: 'Error: need RCPT command', close: false }],
  ])('%i %s', (code, text, expected) => {
    expect(rewriteReply(code, text)).toEqual(expected);
  });

  it('orders EHLO keywords as SES does, drops the rest and ends with Ok', () => {
    const reply = rewriteReply(250, [
      'email-smtp.amazonaws.com',
      '8BITMIME',
      'AUTH PLAIN LOGIN',
      'STARTTLS',
      'X-OTHER',
    ]);
    expect(reply.data).toEqual([
      'email-smtp.amazonaws.com',
      '8BITMIME',
      'STARTTLS',
      'AUTH PLAIN LOGIN',
      'Ok',
    ]);
  });

  it('gives every greeting a fresh SES-shaped banner', () => {
    const a = rewriteReply(220, 'email-smtp.amazonaws.com ESMTP');
    const b = rewriteReply(220, 'email-smtp.amazonaws.com ESMTP');
    expect(a.data).toMatch(
      /^email-smtp\.amazonaws\.com ESMTP SimpleEmailService-d-[A-Z0-9]{9} [A-Za-z0-9]{20}$/,
    );
    expect(a.data).not.toBe(b.data);
    expect(greetingBanner()).not.toBe(greetingBanner());
  });

  it('leaves the STARTTLS 220 alone', () => {
    expect(rewriteReply(220, 'Ready to start TLS').data).toBe('Ready to start TLS');
  });
});

describe('rejectionReason', () => {
  it.each([
    ['Authentication required', 'auth-required'],
    ['Throttling failure: Daily message quota exceeded', 'daily-quota'],
    [notVerified('us-east-1', ['a@b.test']), 'not-verified'],
    ['Transaction failed: Recipient count exceeds 50.', 'too-many-recipients'],
    ['Error: need RCPT command', 'other'],
  ])('%s → %s', (text, reason) => {
    expect(rejectionReason(text)).toBe(reason);
  });
});
