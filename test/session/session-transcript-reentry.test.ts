/**
 * An onTranscript sink (a client's logger) sees replies before the machine takes them. What the
 * owner does from in there (quit, an abort, a send, a read it feeds) comes after the replies it was
 * shown — after the whole read when the read is taken in one step — never before them, and no
 * reply of the read is lost.
 */
import { describe, expect, test } from 'vitest';
import type { Session } from '../../src/session/session.js';
import { flush, Harness } from './harness.js';

test('an abort from the sink on the 250 to the dot: that message is delivered; the abort follows the read', async () => {
  const abortNext = new AbortController();
  const h = new Harness({
    onTranscript: (entry) => {
      if (entry.direction === 'server' && entry.text.startsWith('250 queued A')) abortNext.abort();
    },
  });
  h.ready();
  const a = h.send({ size: 4 });
  h.server('250 ok\n250 ok\n354 go'); // inline body + dot: dataEnd
  expect(h.session.state).toBe('dataEnd');
  const b = h.send({ from: 'x@example.com', size: 4 }, abortNext.signal); // next, behind the dot
  h.server('250 queued A\n250 ok\n250 ok\n354 go');
  await flush();
  // The server's 250 to A's dot was read (and logged): A is delivered. The read went on to B's 354,
  // so B's body and dot were out before the abort took effect: B may have been delivered.
  expect(a.result).toMatchObject({ ok: true });
  expect(b.result).toMatchObject({ ok: false, error: { outcome: 'unknown' } });
});

describe('acting from the transcript sink on the reply it shows', () => {
  function lockStep(onServer: (session: Session, text: string) => void): Harness {
    const h: Harness = new Harness({
      onTranscript: (entry) => {
        if (entry.direction === 'server') onServer(h.session, entry.text);
      },
    });
    return h.ready('250-mx.example\n250 8BITMIME'); // no PIPELINING: one reply per step
  }

  test('quit() on the 250 to the dot: the message is delivered, then QUIT', async () => {
    let quitting: Promise<void> | undefined;
    const h = lockStep((session, text) => {
      if (text.startsWith('250 queued')) quitting = session.quit();
    });
    const sent = h.send({ size: 4 });
    h.server('250 ok').server('250 ok').server('354 go'); // inline body and dot written
    h.server('250 queued as X');
    await flush();
    expect(sent.result).toMatchObject({ ok: true });
    expect(h.lastWrite).toBe('QUIT\r\n');
    expect(quitting).toBeDefined();
  });

  test('receive() of the next read from inside the sink: replies reach the machine in order', async () => {
    let fed = false;
    const h = lockStep((session, text) => {
      if (text === '250 mail ok' && !fed) {
        fed = true;
        session.receive(new TextEncoder().encode('550 5.1.1 no such user\r\n'));
      }
    });
    const sent = h.send({ size: 4 });
    h.server('250 mail ok');
    h.server('250 reset');
    await flush();
    expect(sent.result).toMatchObject({ ok: false, error: { phase: 'rcpt' } });
  });
});
