/**
 * The body facts (bodyProgress, bodyChunk, bodyFinished, bodyFailed) answer a `writeBody` effect.
 * One with no body being written — after an inline body (written inside its effect, finished by
 * it), twice, or with none at all — is dropped: taken, it could finish the next message's body for
 * it. After the session ended they are dropped too (a transport may still be unwinding).
 */
import { describe, expect, test } from 'vitest';
import { ErrorCodes } from '../../src/errors/codes.js';
import { SmtpUsageError } from '../../src/errors/smtp-error.js';
import { flush, Harness } from './harness.js';

const EHLO_PIPELINING = '250-mx.example\n250 PIPELINING';
const INLINE = { size: 20 } as const;
const LARGE = { size: 100_000 } as const;

describe('body facts outside a body', () => {
  test.each([
    ['bodyFinished', (h: Harness) => h.session.bodyFinished()],
    ['bodyProgress', (h: Harness) => h.session.bodyProgress()],
    ['bodyChunk', (h: Harness) => h.session.bodyChunk(10, true)],
  ])('%s after an inline body is dropped, and the next message is not touched', async (_, fact) => {
    const h = new Harness({ maxMessageSize: 1_000_000 }).ready(EHLO_PIPELINING);
    const first = h.send(INLINE);
    h.server('250 ok\n250 ok\n354 go');
    expect(h.effects.find((e) => e.type === 'writeBody')).toMatchObject({ inline: true });
    expect(h.session.state).toBe('dataEnd');
    fact(h);
    expect(h.session.state).toBe('dataEnd');
    h.server('250 ok queued 1');
    await flush();
    expect(first.result).toMatchObject({ ok: true });
    const second = h.send(LARGE);
    fact(h); // still no body: dropped
    h.server('250 ok\n250 ok\n354 go');
    expect(h.session.state).toBe('body');
    h.session.bodyFinished(); // its own: taken
    expect(h.session.state).toBe('dataEnd');
    h.server('250 ok queued 2');
    await flush();
    expect(second.result).toMatchObject({ ok: true });
  });

  test('a late bodyFailed for an inline body long written does not fail the next message', async () => {
    const h = new Harness({ maxMessageSize: 1_000_000 }).ready(EHLO_PIPELINING);
    const first = h.send(INLINE);
    h.server('250 ok\n250 ok\n354 go');
    h.server('250 ok queued 1');
    await flush();
    expect(first.result).toMatchObject({ ok: true });
    const second = h.send(LARGE);
    expect(h.session.state).toBe('mail');
    h.session.bodyFailed(
      new SmtpUsageError({ code: ErrorCodes.MESSAGE_TOO_LARGE, field: 'message', message: 'late' }),
    );
    expect(h.session.state).toBe('mail');
    h.server('250 ok\n250 ok\n354 go');
    h.session.bodyFinished();
    h.server('250 ok queued 2');
    await flush();
    expect(second.result).toMatchObject({ ok: true });
  });

  test('a stray bodyFinished while a message waits for its 354 does not finish its body', async () => {
    const h = new Harness({ maxMessageSize: 1_000_000 }).ready('250-mx.example\n250 SIZE 1000000');
    const sent = h.send(LARGE);
    h.server('250 ok').server('250 ok');
    expect(h.session.state).toBe('data');
    h.session.bodyFinished();
    h.server('354 go');
    expect(h.session.state).toBe('body'); // not dataEnd: nothing of this body was written yet
    h.session.bodyFinished();
    h.server('250 ok');
    await flush();
    expect(sent.result).toMatchObject({ ok: true });
  });

  test('a body written in blocks takes its facts; a second bodyFinished is dropped', async () => {
    const h = new Harness({ maxMessageSize: 1_000_000 }).ready(EHLO_PIPELINING);
    const sent = h.send(LARGE);
    h.server('250 ok\n250 ok\n354 go');
    h.session.bodyProgress();
    h.session.bodyFinished();
    h.session.bodyFinished();
    expect(h.session.state).toBe('dataEnd');
    h.server('250 ok');
    await flush();
    expect(sent.result).toMatchObject({ ok: true });
  });

  test('after the session ended, body facts are dropped', () => {
    const h = new Harness({ maxMessageSize: 1_000_000 }).ready(EHLO_PIPELINING);
    h.send(LARGE);
    h.server('250 ok\n250 ok\n354 go');
    h.session.closed(new Error('reset'));
    expect(() => h.session.bodyProgress()).not.toThrow();
    expect(() => h.session.bodyFinished()).not.toThrow();
  });
});
