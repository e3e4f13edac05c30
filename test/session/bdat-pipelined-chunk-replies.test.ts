/**
 * RFC 3030 §4.2: with PIPELINING, BDAT chunks are written without waiting for their replies, so the
 * replies to several chunks may arrive in one read. Only where exactly one chunk reply is outstanding
 * is a reply behind it one nobody asked for (threats.md §6, guard unaskedBehind 'chunk').
 */
import { describe, expect, test } from 'vitest';
import { ErrorCodes } from '../../src/errors/codes.js';
import { EHLO_PIPELINING_CHUNKING, flush, Harness } from './harness.js';

/** Envelope accepted, then a streamed body announced as chunks of 10, 10 and a LAST of 5 octets. */
function streaming(): { h: Harness; sent: ReturnType<Harness['send']> } {
  const h = new Harness().ready(EHLO_PIPELINING_CHUNKING);
  const sent = h.send();
  h.server('250 ok\n250 ok');
  h.session.bodyChunk(10, false);
  h.session.bodyChunk(10, false);
  return { h, sent };
}

describe('replies to several pipelined BDAT chunks in one read', () => {
  test('while the body streams: two chunk replies at once are both taken', async () => {
    const { h, sent } = streaming();
    h.server('250 2.0.0 10 octets\n250 2.0.0 10 octets');
    expect(h.session.state).toBe('bdat');
    expect(h.closed).toBe(false);
    h.session.bodyChunk(5, true);
    h.session.bodyFinished();
    h.server('250 Ok id-3');
    await flush();
    expect(sent.result).toMatchObject({ ok: true, value: { messageId: 'id-3' } });
  });

  test('after LAST: the replies to all three chunks in one read deliver the message', async () => {
    const { h, sent } = streaming();
    h.session.bodyChunk(5, true);
    h.session.bodyFinished();
    expect(h.session.state).toBe('bdatEnd');
    h.server('250 2.0.0 10 octets\n250 2.0.0 10 octets\n250 Ok id-4');
    await flush();
    expect(sent.result).toMatchObject({ ok: true, value: { messageId: 'id-4' } });
    expect(h.session.idle).toBe(true);
  });

  test('two chunks refused: the send settles with the first refusal (after the drain and RSET)', async () => {
    const { h, sent } = streaming();
    h.session.bodyChunk(5, true);
    h.session.bodyFinished();
    h.server('554 5.6.0 first chunk refused\n452 4.3.1 second chunk refused\n503 5.5.1 no transaction');
    expect(h.lastWrite).toBe('RSET\r\n');
    h.server('250 ok');
    await flush();
    expect(sent.result).toMatchObject({
      ok: false,
      error: { outcome: 'rejected', reply: { code: 554 } },
    });
  });

  test('a reply behind the last one outstanding is still unexpected (and, after LAST, unknown)', async () => {
    const { h, sent } = streaming();
    h.session.bodyChunk(5, true);
    h.session.bodyFinished();
    h.server('250 2.0.0 10 octets\n250 2.0.0 10 octets\n250 Ok id-5\n250 nobody asked');
    await flush();
    expect(sent.result).toMatchObject({
      ok: false,
      error: { code: ErrorCodes.REPLY_UNEXPECTED, outcome: 'unknown' },
    });
    expect(h.closed).toBe(true);
  });

  test('one chunk outstanding while the body streams: bytes behind its reply are unexpected at once', async () => {
    const h = new Harness().ready(EHLO_PIPELINING_CHUNKING);
    const sent = h.send();
    h.server('250 ok\n250 ok');
    h.session.bodyChunk(10, false);
    const writes = h.writes.length;
    h.session.receive(new TextEncoder().encode('250 2.0.0 10 octets\r\n25'));
    await flush();
    expect(sent.result).toMatchObject({
      ok: false,
      error: { code: ErrorCodes.REPLY_UNEXPECTED, outcome: 'not-sent' },
    });
    expect(h.closed).toBe(true);
    expect(h.writes.length).toBe(writes);
  });

  test('no chunk outstanding yet: an early refusal is the same refusal with or without bytes behind it', async () => {
    for (const behind of ['', '\n250 more']) {
      const h = new Harness().ready(EHLO_PIPELINING_CHUNKING);
      const sent = h.send();
      h.server('250 ok\n250 ok');
      h.server(`452 4.3.1 insufficient storage${behind}`);
      await flush();
      expect(sent.result, behind).toMatchObject({
        ok: false,
        error: { code: ErrorCodes.TRANSIENT_FAILURE, phase: 'body', outcome: 'not-sent' },
      });
      expect(h.closed).toBe(true);
    }
  });
});
