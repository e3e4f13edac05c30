/**
 * An onTranscript sink (a client's logger) that acts on the session while a read's replies are
 * logged, before the machine takes them: the read's replies must still reach the machine. Here the
 * sink aborts the held next send, written behind the dot, on seeing the dot's 250 — the one-step
 * group is then not taken, and the replies go one by one.
 */
import { expect, test } from 'vitest';
import { flush, Harness } from './harness.js';

test('a read whose group step is not taken after the transcript sink acted is still delivered', async () => {
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
  // The server's 250 to A's dot was read (and logged): A is delivered; B, aborted before its body, is not.
  expect(a.result).toMatchObject({ ok: true });
  expect(b.result).toMatchObject({ ok: false, error: { outcome: 'not-sent' } });
});
