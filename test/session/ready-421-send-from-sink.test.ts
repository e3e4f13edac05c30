/**
 * A 421 while the session is ready is the server closing (RFC 5321 §3.8; SES closes a connection idle
 * for about 10 s), not a reply nobody asked for. The transcript sink sees it before the machine takes
 * it; a send() made from in there waits for that reply (session-transcript-reentry.test.ts), so it is
 * pending — the session is not idle — and it settles with the 421: SERVICE_UNAVAILABLE, not-sent,
 * retryable (another connection may take it), with nothing written for it.
 */
import { expect, test } from 'vitest';
import { ErrorCodes } from '../../src/errors/codes.js';
import { flush, Harness, type Settled } from './harness.js';

function sendOnClosing(): { h: Harness; sent: () => Settled; seen: () => unknown } {
  let box: { readonly result: Settled } | undefined;
  let seen: unknown;
  const h: Harness = new Harness({
    onTranscript: (entry) => {
      if (entry.direction !== 'server' || !entry.text.startsWith('421')) return;
      box = h.send();
      seen = { state: h.session.state, idle: h.session.idle, acceptsSend: h.session.acceptsSend };
    },
  });
  h.ready('250-mx.example\n250 8BITMIME');
  h.server('421 4.4.2 idle timeout, closing');
  return { h, sent: () => box?.result, seen: () => seen };
}

test('a send made from the sink as the 421 is logged is pending: the session is neither idle nor taking another', () => {
  const { seen } = sendOnClosing();
  expect(seen()).toEqual({ state: 'ready', idle: false, acceptsSend: false });
});

test('that send settles with the 421: SERVICE_UNAVAILABLE, not-sent, retryable; nothing is written for it', async () => {
  const { h, sent } = sendOnClosing();
  await flush();
  expect(sent()).toMatchObject({
    ok: false,
    error: {
      code: ErrorCodes.SERVICE_UNAVAILABLE,
      phase: 'ready',
      outcome: 'not-sent',
      retryable: true,
      reply: { code: 421 },
    },
  });
  expect(h.closed).toBe(true);
  expect(h.writes).toEqual(['EHLO client.example\r\n']);
});
