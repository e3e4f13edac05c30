/**
 * RFC 5321 §4.1.1.1 / §2.2.1: service extensions are announced only in the reply to EHLO. After the
 * HELO fallback the session uses none, even if the HELO reply is multi-line and names some.
 */
import { expect, test } from 'vitest';
import { Harness } from './harness.js';

test('a HELO reply listing PIPELINING, SIZE and 8BITMIME: no capability is taken; lock-step, no parameters', async () => {
  const h = new Harness().connect().server('502 5.5.1 EHLO not recognised');
  expect(h.lastWrite).toBe('HELO client.example\r\n');
  h.server('250-mx.example\n250-PIPELINING\n250-SIZE 1000\n250 8BITMIME');
  await h.session.whenReady;
  expect(h.session.capabilities).toMatchObject({ pipelining: false, eightBitMime: false });
  expect(h.session.capabilities.size).toBeUndefined();
  h.send({ size: 10, to: ['b@example.org', 'c@example.org'] });
  expect(h.lastWrite).toBe('MAIL FROM:<a@example.com>\r\n');
  expect(h.session.acceptsSend).toBe(false);
});
