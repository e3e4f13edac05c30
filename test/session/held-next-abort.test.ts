/**
 * RFC 2920 §3.1: a next send held behind a pipelined transaction, never written, leaves quietly when
 * aborted: it settles ABORTED, not-sent, in phase ready (as a send still queued: its transaction
 * never began), and the transaction in flight goes on untouched.
 */
import { expect, test } from 'vitest';
import { ErrorCodes } from '../../src/errors/codes.js';
import { flush, Harness } from './harness.js';

test('a held next aborted before it is written: ABORTED, not-sent, phase ready; the first is delivered', async () => {
  const h = new Harness().ready('250-mx.example\n250 PIPELINING');
  const first = h.send();
  const controller = new AbortController();
  const second = h.send({ to: ['c@example.org'] }, controller.signal);
  controller.abort();
  await flush();
  expect(second.result).toMatchObject({
    ok: false,
    error: { code: ErrorCodes.ABORTED, outcome: 'not-sent', phase: 'ready', retryable: true },
  });
  h.server('250 ok\n250 ok\n354 go');
  h.session.bodyFinished();
  h.server('250 Ok id1');
  await flush();
  expect(first.result).toMatchObject({ ok: true, value: { messageId: 'id1' } });
  expect(h.writes.join('')).not.toContain('c@example.org');
  expect(h.closed).toBe(false);
});

test('while RSET is awaited (the first refused): the held next aborted leaves, and is never written', async () => {
  const h = new Harness().ready('250-mx.example\n250 PIPELINING');
  const first = h.send();
  const controller = new AbortController();
  const second = h.send({ to: ['c@example.org'] }, controller.signal);
  h.server('250 ok\n550 5.1.1 no such user\n554 5.5.1 no valid recipients');
  expect(h.session.state).toBe('rset');
  controller.abort();
  await flush();
  expect(second.result).toMatchObject({
    ok: false,
    error: { code: ErrorCodes.ABORTED, outcome: 'not-sent' },
  });
  h.server('250 reset');
  await flush();
  expect(first.result).toMatchObject({ ok: false, error: { code: ErrorCodes.ALL_RECIPIENTS_REJECTED } });
  expect(h.writes.join('')).not.toContain('c@example.org');
  expect(h.session.idle).toBe(true);
});

test('a next already written behind the dot, aborted: at its turn the session closes cleanly (closed, not failed)', async () => {
  const h = new Harness().ready('250-mx.example\n250 PIPELINING');
  const first = h.send();
  h.server('250 ok\n250 ok\n354 go');
  const controller = new AbortController();
  const second = h.send({ to: ['c@example.org'] }, controller.signal);
  h.session.bodyFinished(); // the next envelope goes right behind the dot
  expect(h.lastWrite).toContain('RCPT TO:<c@example.org>');
  controller.abort();
  h.server('250 Ok id1');
  await flush();
  expect(first.result).toMatchObject({ ok: true, value: { messageId: 'id1' } });
  expect(second.result).toMatchObject({
    ok: false,
    error: { code: ErrorCodes.ABORTED, outcome: 'not-sent' },
  });
  expect(h.session.state).toBe('closed');
  expect(h.closed).toBe(true);
});
