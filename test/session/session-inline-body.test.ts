/**
 * Small bodies of known size are written inline with the 354 (RFC 5321 §4.5.2; RFC 2920 §3.1: the
 * next envelope in the same flight), with the same outcomes with and without a transcript.
 */
import { describe, expect, test } from 'vitest';
import { ErrorCodes } from '../../src/errors/codes.js';
import { SmtpUsageError } from '../../src/errors/smtp-error.js';
import { INLINE_BODY_OCTETS } from '../../src/session/transaction.js';
import type { SessionOptions } from '../../src/session/types.js';
import { flush, Harness } from './harness.js';

const PIPELINED = '250-mx.example\n250-PIPELINING\n250 SIZE 100000';
const ENVELOPE_2 = 'MAIL FROM:<a@example.com> SIZE=10\r\nRCPT TO:<c@example.org>\r\nDATA\r\n';

describe('inline bodies', () => {
  test('the 354 writes the body and, behind it, the held next envelope; no body.finished is needed', async () => {
    const h = new Harness().ready(PIPELINED);
    const first = h.send({ size: 10 });
    const second = h.send({ size: 10, to: ['c@example.org'] });
    h.server('250 ok\n250 ok\n354 go');
    const effects = h.effects.slice(-2);
    expect(effects[0]).toMatchObject({ type: 'writeBody', inline: true });
    expect(effects[1]).toMatchObject({ type: 'write' });
    expect(h.lastWrite).toBe(ENVELOPE_2);
    expect(h.session.state).toBe('dataEnd');
    h.server('250 Ok id1\n250 ok\n250 ok\n354 go');
    await flush();
    expect(first.result).toMatchObject({ ok: true, value: { messageId: 'id1' } });
    expect(h.session.state).toBe('dataEnd');
    h.server('250 Ok id2');
    await flush();
    expect(second.result).toMatchObject({ ok: true, value: { messageId: 'id2' } });
    expect(h.session.idle).toBe(true);
  });

  test('a body of exactly INLINE_BODY_OCTETS is still inline', () => {
    const h = new Harness().ready(PIPELINED);
    h.send({ size: INLINE_BODY_OCTETS });
    h.server('250 ok\n250 ok\n354 go');
    expect(h.effects.at(-1)).toMatchObject({ type: 'writeBody', inline: true });
    expect(h.session.state).toBe('dataEnd');
  });

  test('larger bodies still stream through the body state', () => {
    const h = new Harness().ready(PIPELINED);
    h.send({ size: INLINE_BODY_OCTETS + 1 });
    h.server('250 ok\n250 ok\n354 go');
    expect(h.effects.at(-1)).toMatchObject({ type: 'writeBody', inline: false });
    expect(h.session.state).toBe('body');
  });

  test('an inline body the transport cannot write fails the session not-sent, and the held next with it', async () => {
    const h = new Harness().ready(PIPELINED);
    const first = h.send({ size: 10 });
    const second = h.send({ size: 10, to: ['c@example.org'] });
    const error = new SmtpUsageError({
      code: ErrorCodes.MESSAGE_TOO_LARGE,
      field: 'message',
      message: 'message: too large',
    });
    // The transport finds it cannot write the inline body while handling its effect, and says so there.
    h.onEffect = (effect) => {
      if (effect.type === 'writeBody' && effect.inline) h.session.bodyFailed(error);
    };
    h.server('250 ok\n250 ok\n354 go');
    await flush();
    expect(h.session.state).toBe('failed');
    expect(first.result).toMatchObject({
      ok: false,
      error: { code: ErrorCodes.MESSAGE_TOO_LARGE, outcome: 'not-sent' },
    });
    expect(second.result).toMatchObject({ ok: false, error: { outcome: 'not-sent' } });
    expect(h.closed).toBe(true);
  });

  test('one read with several replies gives the same effects and results with or without a transcript', async () => {
    const run = async (transcript: boolean) => {
      // Without a transcript the session skips the logging work.
      const h = new Harness(
        transcript ? {} : ({ onTranscript: undefined } as unknown as Partial<SessionOptions>),
      );
      h.ready(PIPELINED);
      const results = [h.send({ size: 10 }), h.send({ size: 10, to: ['c@example.org'] })];
      h.server('250 ok\n250 ok\n354 go');
      h.server('250 Ok id1\n250 ok\n550 no such user\n554 no valid recipients');
      h.server('250 reset');
      await flush();
      return { writes: h.writes, state: h.session.state, results: results.map((r) => r.result) };
    };
    const batched = await run(false);
    expect(batched).toEqual(await run(true));
    expect(batched.results[1]).toMatchObject({
      ok: false,
      error: { code: ErrorCodes.ALL_RECIPIENTS_REJECTED },
    });
  });
});
