/**
 * A 421 to the pipelined MAIL or RCPT while the `BDAT n LAST` chunk that rode with the envelope is
 * already on the wire (RFC 3030 §4.2, RFC 2920 §3.1). Replies come in command order, so a server
 * that keeps its word (RFC 5321 §3.8: 421, then close) never took the chunk behind it: the send
 * is not-sent, with the 421. But the chunk is out, so the session reads on until the server closes:
 * a 2xx after the 421 (a server that took the chunk after all) makes the send 'unknown' — a retry
 * would duplicate it — and so does a server that neither closes nor answers (the timeout).
 * Found by a fault-injection review: the send used to fail not-sent at once, and the pool sent
 * the message a second time to a server that had taken it.
 */
import { describe, expect, test } from 'vitest';
import { ErrorCodes } from '../../src/errors/codes.js';
import { EHLO_PIPELINING_CHUNKING, flush, Harness, KNOWN_SIZE } from './harness.js';

/** Ready, one send whose envelope and LAST chunk are written (a small body: inline, at once). */
function chunkOut(): { h: Harness; sent: ReturnType<Harness['send']> } {
  const h = new Harness().ready(EHLO_PIPELINING_CHUNKING);
  const sent = h.send({ ...KNOWN_SIZE, to: ['b@example.org', 'c@example.org'] });
  expect(h.lastWrite).toContain('BDAT 10 LAST\r\n');
  expect(h.effects.at(-1)).toMatchObject({ type: 'writeBody', inline: true });
  return { h, sent };
}

describe('a 421 to the envelope behind a LAST chunk already written', () => {
  test('the server closes after its 421: not-sent, with the 421, and nothing more is written', async () => {
    const { h, sent } = chunkOut();
    const writes = h.writes.length;
    h.server('250 ok\n421 4.3.2 shutting down');
    await flush();
    expect(sent.result).toBeUndefined();
    expect(h.session.ended).toBe(false);
    h.session.closed();
    await flush();
    expect(sent.result).toMatchObject({
      ok: false,
      error: {
        code: ErrorCodes.SERVICE_UNAVAILABLE,
        outcome: 'not-sent',
        phase: 'rcpt',
        reply: { code: 421 },
      },
    });
    expect(h.writes).toHaveLength(writes);
    expect(h.session.state).toBe('failed');
  });

  test('a 421 to MAIL: the same', async () => {
    const { h, sent } = chunkOut();
    h.server('421 4.3.2 shutting down');
    await flush();
    expect(sent.result).toBeUndefined();
    h.session.closed();
    await flush();
    expect(sent.result).toMatchObject({
      ok: false,
      error: { code: ErrorCodes.SERVICE_UNAVAILABLE, outcome: 'not-sent', phase: 'mail' },
    });
  });

  test("a 2xx after the 421 (the server took the chunk after all): 'unknown', and the session closes", async () => {
    const { h, sent } = chunkOut();
    h.server('250 ok\n421 4.3.2 shutting down\n250 ok\n250 2.0.0 queued as X1');
    await flush();
    expect(sent.result).toMatchObject({ ok: false, error: { outcome: 'unknown' } });
    expect(h.closed).toBe(true);
  });

  test("a reply cut by the close (a 2xx being written): 'unknown', with what came of it", async () => {
    const { h, sent } = chunkOut();
    h.server('250 ok\n421 4.3.2 shutting down\n503 5.5.1 no');
    h.session.receive(new TextEncoder().encode('250 2.0.0 Ok: queued as X'));
    h.session.closed();
    await flush();
    expect(sent.result).toMatchObject({ ok: false, error: { outcome: 'unknown' } });
    expect(sent.result?.ok === false && sent.result.error.message).toContain('250 2.0.0 Ok: queued as X');
  });

  test('a reset after the 421 (the server closed with the chunk unread): not-sent, with the 421', async () => {
    // The usual end: a server that stops reading once it has said 421 closes with our chunk still in
    // its receive buffer, and its kernel answers with a reset. That says nothing of a delivery.
    const { h, sent } = chunkOut();
    h.server('250 ok\n421 4.3.2 shutting down');
    h.session.closed(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
    await flush();
    expect(sent.result).toMatchObject({
      ok: false,
      error: { code: ErrorCodes.SERVICE_UNAVAILABLE, outcome: 'not-sent', phase: 'rcpt' },
    });
  });

  test("a 3xx in the chunk's place: unexpected, 'unknown' (as in bdatEnd)", async () => {
    const { h, sent } = chunkOut();
    h.server('250 ok\n421 4.3.2 shutting down\n421 4.3.2 shutting down\n354 go ahead');
    await flush();
    expect(sent.result).toMatchObject({
      ok: false,
      error: { outcome: 'unknown', code: ErrorCodes.REPLY_UNEXPECTED },
    });
  });

  test('every command behind the 421 answered, the BDAT refused too: not-sent at once, without waiting', async () => {
    const { h, sent } = chunkOut();
    h.server('250 ok\n421 4.3.2 shutting down\n421 4.3.2 shutting down\n421 4.3.2 shutting down');
    await flush();
    expect(sent.result).toMatchObject({
      ok: false,
      error: { code: ErrorCodes.SERVICE_UNAVAILABLE, outcome: 'not-sent', phase: 'rcpt' },
    });
    expect(h.closed).toBe(true);
  });

  test('a 2xx to a RCPT behind the 421 decides nothing: the BDAT reply does (here refused: not-sent)', async () => {
    const { h, sent } = chunkOut();
    // MAIL 421; RCPT b 250 and RCPT c 250 from a server that went on; the BDAT refused.
    h.server('421 4.3.2 shutting down\n250 ok\n250 ok\n503 5.5.1 no valid transaction');
    await flush();
    expect(sent.result).toMatchObject({ ok: false, error: { outcome: 'not-sent', phase: 'mail' } });
  });

  test("the same with the BDAT taken: 'unknown'", async () => {
    const { h, sent } = chunkOut();
    h.server('421 4.3.2 shutting down\n250 ok\n250 ok\n250 2.0.0 queued');
    await flush();
    expect(sent.result).toMatchObject({ ok: false, error: { outcome: 'unknown' } });
  });

  test("neither a close nor a reply: the timeout makes it 'unknown'", async () => {
    const { h, sent } = chunkOut();
    h.server('250 ok\n421 4.3.2 shutting down');
    h.clock.increment(60 * 60_000);
    await flush();
    expect(sent.result).toMatchObject({ ok: false, error: { outcome: 'unknown' } });
    expect(h.closed).toBe(true);
  });

  test("quit() meanwhile: 'unknown' (the server's close was not waited for)", async () => {
    const { h, sent } = chunkOut();
    h.server('250 ok\n421 4.3.2 shutting down');
    await h.session.quit();
    expect(sent.result).toMatchObject({ ok: false, error: { outcome: 'unknown' } });
  });

  test("an abort meanwhile: 'unknown', and the session closes", async () => {
    const h = new Harness().ready(EHLO_PIPELINING_CHUNKING);
    const abort = new AbortController();
    const sent = h.send({ ...KNOWN_SIZE, to: ['b@example.org'] }, abort.signal);
    h.server('250 ok\n421 4.3.2 shutting down');
    abort.abort();
    await flush();
    expect(sent.result).toMatchObject({ ok: false, error: { outcome: 'unknown' } });
    expect(h.closed).toBe(true);
  });

  test('a 421 while the chunk is still being written: not-sent at once (it never got out whole)', async () => {
    const h = new Harness().ready('250-mx.example\n250-PIPELINING\n250 CHUNKING');
    // Over 64 KiB: written in blocks, not inline; no bodyFinished() yet.
    const sent = h.send({ size: 70_000, unstuffedSize: 70_000, eightBit: false, to: ['b@example.org'] });
    expect(h.effects.at(-1)).toMatchObject({ type: 'writeBody', inline: false });
    h.server('250 ok\n421 4.3.2 shutting down');
    await flush();
    expect(sent.result).toMatchObject({
      ok: false,
      error: { code: ErrorCodes.SERVICE_UNAVAILABLE, outcome: 'not-sent' },
    });
    expect(h.closed).toBe(true);
  });
});
