/**
 * An empty read is no read: receive() of zero bytes changes nothing — also between the 220 to
 * STARTTLS and the end of the TLS handshake, where any byte that does arrive is a response injection
 * (threats.md §1, RFC 3207 §4) and ends the session.
 */
import { expect, test } from 'vitest';
import { ErrorCodes } from '../../src/errors/codes.js';
import { Harness } from './harness.js';

const handshaking = () =>
  new Harness({ security: 'starttls' }).connect().server('250-mx.example\n250 STARTTLS').server('220 go');

test('during the TLS handshake: zero bytes are not an injection; the handshake then goes on to EHLO', () => {
  const h = handshaking();
  expect(h.session.state).toBe('tlsHandshake');
  h.session.receive(new Uint8Array(0));
  expect(h.session.state).toBe('tlsHandshake');
  expect(h.session.ended).toBe(false);
  h.session.tlsEstablished();
  expect(h.lastWrite).toBe('EHLO client.example\r\n');
  expect(h.closed).toBe(false);
});

test('during the TLS handshake: one byte is an injection (the check the empty read must not trip)', async () => {
  const h = handshaking();
  h.session.receive(new Uint8Array([0x32]));
  await expect(h.session.whenReady).rejects.toMatchObject({ code: ErrorCodes.STARTTLS_INJECTION });
  expect(h.closed).toBe(true);
});
