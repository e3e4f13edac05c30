/**
 * BDAT / CHUNKING (RFC 3030 §2, §4.2): one `BDAT n LAST` for a body of known size (lock-step, or
 * behind the pipelined envelope), chunks announced by the transport for a stream, one reply per
 * chunk, and the outcomes when a chunk is refused or the connection is lost.
 */
import { describe, expect, test } from 'vitest';
import { ErrorCodes } from '../../src/errors/codes.js';
import { EHLO_CHUNKING, EHLO_PIPELINING_CHUNKING, flush, Harness, KNOWN_SIZE } from './harness.js';

describe('BDAT', () => {
  test('lock-step, known size: MAIL, RCPT, then BDAT n LAST with the body in the same flight', async () => {
    const h = new Harness().ready(EHLO_CHUNKING);
    const sent = h.send(KNOWN_SIZE);
    expect(h.lastWrite).toBe('MAIL FROM:<a@example.com> SIZE=10\r\n');
    h.server('250 ok');
    expect(h.lastWrite).toBe('RCPT TO:<b@example.org>\r\n');
    h.server('250 ok');
    expect(h.lastWrite).toBe('BDAT 10 LAST\r\n');
    // The announced n goes with the body, so the transport can hold the body to it.
    expect(h.effects.at(-1)).toMatchObject({ type: 'writeBody', transfer: 'bdat', announcedOctets: 10 });
    expect(h.session.state).toBe('bdat');
    h.session.bodyFinished();
    expect(h.session.state).toBe('bdatEnd');
    h.server('250 2.0.0 Ok: queued as ABC123');
    await flush();
    expect(sent.result).toMatchObject({ ok: true, value: { messageId: 'ABC123' } });
    expect(h.writes.some((w) => w.includes('DATA'))).toBe(false);
    expect(h.session.idle).toBe(true);
  });

  test('pipelined, known size: MAIL + RCPTs + BDAT n LAST in one write, then the body', async () => {
    const h = new Harness().ready(EHLO_PIPELINING_CHUNKING);
    const sent = h.send({ ...KNOWN_SIZE, to: ['b@example.org', 'c@example.org'] });
    expect(h.lastWrite).toBe(
      'MAIL FROM:<a@example.com> SIZE=10\r\nRCPT TO:<b@example.org>\r\nRCPT TO:<c@example.org>\r\nBDAT 10 LAST\r\n',
    );
    expect(h.effects.at(-1)).toMatchObject({ type: 'writeBody', transfer: 'bdat', announcedOctets: 10 });
    h.session.bodyFinished();
    h.server('250 ok\n550 5.1.1 no such user\n250 ok\n250 Ok id-1');
    await flush();
    expect(sent.result).toMatchObject({
      ok: true,
      value: { accepted: ['c@example.org'], messageId: 'id-1' },
    });
    expect(h.writes).toHaveLength(2);
  });

  test('pipelined, known size: a loss before any reply is "unknown" (the LAST chunk is on the wire)', async () => {
    const h = new Harness().ready(EHLO_PIPELINING_CHUNKING);
    const sent = h.send(KNOWN_SIZE);
    h.session.bodyFinished();
    h.server('250 ok');
    h.session.closed();
    await flush();
    expect(sent.result).toMatchObject({
      ok: false,
      error: { code: ErrorCodes.CONNECTION_CLOSED, outcome: 'unknown' },
    });
  });

  test('pipelined, MAIL refused: the BDAT reply is drained, RSET, SENDER_REJECTED', async () => {
    const h = new Harness().ready(EHLO_PIPELINING_CHUNKING);
    const sent = h.send(KNOWN_SIZE);
    h.session.bodyFinished();
    h.server('550 5.7.1 no\n503 5.5.1 need MAIL\n503 5.5.1 no transaction');
    expect(h.lastWrite).toBe('RSET\r\n');
    h.server('250 ok');
    await flush();
    expect(sent.result).toMatchObject({
      ok: false,
      error: { code: ErrorCodes.SENDER_REJECTED, outcome: 'rejected' },
    });
    expect(h.session.idle).toBe(true);
  });

  // A large body that rides with the envelope is still being written (back-pressure) when the MAIL and
  // RCPT replies come: nothing may be written until its last octet is out — another `BDAT n LAST` or
  // an RSET would land inside the chunk, and the server would take body text as commands.
  describe('pipelined, known size: the envelope replies come while the chunk is still being written', () => {
    // Above INLINE_BODY_OCTETS: written block by block by the transport, which reports its end.
    const LARGE = { size: 200_003, unstuffedSize: 200_000, eightBit: false };
    const ROOMY = EHLO_PIPELINING_CHUNKING.replace('SIZE 1000', 'SIZE 1000000');
    const writesAfterEnvelope = (h: Harness) =>
      h.effects.slice(h.effects.findIndex((e) => e.type === 'writeBody') + 1);

    test('accepted: nothing more is written; the body ends, then LAST is answered', async () => {
      const h = new Harness().ready(ROOMY);
      const sent = h.send(LARGE);
      h.server('250 ok\n250 ok');
      expect(writesAfterEnvelope(h).filter((e) => e.type === 'write' || e.type === 'writeBody')).toEqual([]);
      expect(h.session.state).toBe('bdat');
      h.session.bodyProgress();
      h.session.bodyFinished();
      expect(h.session.state).toBe('bdatEnd');
      h.server('250 2.0.0 Ok: queued as RIDE1');
      await flush();
      expect(sent.result).toMatchObject({ ok: true, value: { messageId: 'RIDE1' } });
      expect(h.effects.filter((e) => e.type === 'writeBody')).toHaveLength(1);
      expect(h.session.idle).toBe(true);
    });

    test('every recipient refused: no RSET until the chunk is out and answered', async () => {
      const h = new Harness().ready(ROOMY);
      const sent = h.send(LARGE);
      h.server('250 ok\n550 5.1.1 no such user');
      expect(writesAfterEnvelope(h).filter((e) => e.type === 'write' || e.type === 'writeBody')).toEqual([]);
      h.session.bodyFinished();
      expect(writesAfterEnvelope(h).filter((e) => e.type === 'write')).toEqual([]);
      h.server('554 5.5.1 no valid recipients');
      expect(h.lastWrite).toBe('RSET\r\n');
      h.server('250 ok');
      await flush();
      expect(sent.result).toMatchObject({
        ok: false,
        error: { code: ErrorCodes.ALL_RECIPIENTS_REJECTED, outcome: 'rejected' },
      });
      expect(h.session.idle).toBe(true);
    });

    test('a loss while the chunk is still being written is "not-sent"', async () => {
      const h = new Harness().ready(ROOMY);
      const sent = h.send(LARGE);
      h.server('250 ok\n250 ok');
      h.session.closed();
      await flush();
      expect(sent.result).toMatchObject({ ok: false, error: { outcome: 'not-sent' } });
    });
  });

  test('LAST refused (nothing failed before): settled at once, no RSET; 421 ends the session', async () => {
    const h = new Harness().ready(EHLO_PIPELINING_CHUNKING);
    const sent = h.send(KNOWN_SIZE);
    h.session.bodyFinished();
    h.server('250 ok\n250 ok\n552 5.3.4 too big');
    await flush();
    expect(sent.result).toMatchObject({ ok: false, error: { outcome: 'rejected', phase: 'data-end' } });
    expect(h.writes.some((w) => w.startsWith('RSET'))).toBe(false);
    expect(h.session.idle).toBe(true);
    const again = h.send(KNOWN_SIZE);
    h.session.bodyFinished();
    h.server('250 ok\n250 ok\n421 4.3.2 shutting down');
    await flush();
    expect(again.result).toMatchObject({ ok: false, error: { code: ErrorCodes.SERVICE_UNAVAILABLE } });
    expect(h.closed).toBe(true);
  });

  test('stream (pipelined): envelope first, then chunks announced by the transport, one reply each', async () => {
    const h = new Harness().ready(EHLO_PIPELINING_CHUNKING);
    const sent = h.send();
    expect(h.lastWrite).toBe('MAIL FROM:<a@example.com> BODY=8BITMIME\r\nRCPT TO:<b@example.org>\r\n');
    h.server('250 ok\n250 ok');
    expect(h.effects.at(-1)).toMatchObject({ type: 'writeBody', transfer: 'bdat' });
    expect(h.effects.at(-1)).not.toHaveProperty('announcedOctets'); // the transport announces each chunk
    h.session.bodyChunk(65536, false);
    expect(h.lastWrite).toBe('BDAT 65536\r\n');
    h.session.bodyChunk(100, false);
    h.server('250 2.0.0 65536 octets');
    h.session.bodyChunk(0, true);
    expect(h.lastWrite).toBe('BDAT 0 LAST\r\n');
    h.session.bodyFinished();
    expect(h.session.state).toBe('bdatEnd');
    h.server('250 ok 100');
    await flush();
    expect(sent.result).toBeUndefined(); // two replies of three
    h.server('250 Ok id-9');
    await flush();
    expect(sent.result).toMatchObject({ ok: true, value: { messageId: 'id-9' } });
  });

  test('stream: a chunk refused while the body still streams → close (no RSET mid-chunk), not-sent', async () => {
    const h = new Harness().ready(EHLO_PIPELINING_CHUNKING);
    const sent = h.send();
    h.server('250 ok\n250 ok');
    h.session.bodyChunk(65536, false);
    h.server('452 4.3.1 insufficient storage');
    await flush();
    expect(sent.result).toMatchObject({ ok: false, error: { outcome: 'not-sent', phase: 'body' } });
    expect(h.closed).toBe(true);
  });

  test('stream: a middle chunk refused after LAST was written → drain, RSET, settled with that refusal', async () => {
    const h = new Harness().ready(EHLO_PIPELINING_CHUNKING);
    const sent = h.send();
    h.server('250 ok\n250 ok');
    h.session.bodyChunk(10, false);
    h.session.bodyChunk(5, true);
    h.session.bodyFinished();
    h.server('554 5.6.0 chunk refused');
    expect(sent.result).toBeUndefined();
    h.server('503 5.5.1 no transaction');
    expect(h.lastWrite).toBe('RSET\r\n');
    h.server('250 ok');
    await flush();
    expect(sent.result).toMatchObject({ ok: false, error: { outcome: 'rejected', reply: { code: 554 } } });
    expect(h.session.idle).toBe(true);
  });

  test('stream: a loss after LAST is written is "unknown"; before it "not-sent"', async () => {
    const after = new Harness().ready(EHLO_PIPELINING_CHUNKING);
    const a = after.send();
    after.server('250 ok\n250 ok');
    after.session.bodyChunk(5, true);
    after.session.bodyFinished();
    after.session.closed();
    const before = new Harness().ready(EHLO_PIPELINING_CHUNKING);
    const b = before.send();
    before.server('250 ok\n250 ok');
    before.session.bodyChunk(5, false);
    before.session.closed();
    await flush();
    expect(a.result).toMatchObject({ ok: false, error: { outcome: 'unknown' } });
    expect(b.result).toMatchObject({ ok: false, error: { outcome: 'not-sent' } });
  });

  test('stream without PIPELINING goes with DATA; chunking: false keeps DATA', () => {
    const lockStep = new Harness().ready(EHLO_CHUNKING);
    lockStep.send();
    lockStep.server('250 ok').server('250 ok'); // lock-step: one reply per read
    expect(lockStep.lastWrite).toBe('DATA\r\n');
    const off = new Harness({ chunking: false }).ready(EHLO_PIPELINING_CHUNKING);
    off.send(KNOWN_SIZE);
    expect(off.lastWrite).toContain('DATA\r\n');
  });

  test('a reply to no chunk in bdat is unexpected', async () => {
    const h = new Harness().ready(EHLO_PIPELINING_CHUNKING);
    const sent = h.send();
    h.server('250 ok\n250 ok\n250 surprise');
    await flush();
    expect(sent.result).toMatchObject({ ok: false, error: { code: ErrorCodes.REPLY_UNEXPECTED } });
  });

  // RFC 3030 §2: a chunk is answered once all of its octets arrived. A 2xx while the one LAST chunk
  // of a known-size body is still being written answers nothing yet: unexpected at once, as an early
  // reply to a DATA body is (not a wait of ten minutes for a reply that is not owed).
  const LARGE = { size: 100_003, unstuffedSize: 100_000, eightBit: false } as const; // not written inline
  test.each([
    ['lock-step', '250-mx.example\n250-8BITMIME\n250 CHUNKING', ['250 ok', '250 ok']],
    [
      'pipelined, the chunk riding with the envelope',
      '250-mx.example\n250-PIPELINING\n250-8BITMIME\n250 CHUNKING',
      ['250 ok\n250 ok'],
    ],
  ])(
    '%s: a 2xx before the known-size LAST chunk is all written is unexpected, not-sent',
    async (_, ehlo, replies) => {
      const h = new Harness({ maxMessageSize: 200_000 }).ready(ehlo);
      const sent = h.send(LARGE);
      for (const reply of replies) h.server(reply);
      expect(h.session.state).toBe('bdat');
      h.server('250 2.0.0 queued as X1');
      await flush();
      expect(sent.result).toMatchObject({
        ok: false,
        error: { code: ErrorCodes.REPLY_UNEXPECTED, outcome: 'not-sent', phase: 'body' },
      });
      expect(h.closed).toBe(true);
    },
  );

  test('a next send is held during a BDAT transaction and written when it ends', async () => {
    const h = new Harness().ready(EHLO_PIPELINING_CHUNKING);
    const first = h.send(KNOWN_SIZE);
    h.session.bodyFinished();
    const second = h.send({ ...KNOWN_SIZE, to: ['c@example.org'] });
    const writes = h.writes.length;
    h.server('250 ok\n250 ok');
    expect(h.writes).toHaveLength(writes);
    h.server('250 Ok id1');
    expect(h.lastWrite).toBe(
      'MAIL FROM:<a@example.com> SIZE=10\r\nRCPT TO:<c@example.org>\r\nBDAT 10 LAST\r\n',
    );
    h.session.bodyFinished();
    h.server('250 ok\n250 ok\n250 Ok id2');
    await flush();
    expect(first.result).toMatchObject({ ok: true });
    expect(second.result).toMatchObject({ ok: true, value: { messageId: 'id2' } });
  });
});

describe('BDAT riding behind a refused envelope', () => {
  test("a 2xx to the LAST chunk after MAIL was refused is 'unknown' (the server said it took the message), and the session closes", async () => {
    const h = new Harness().ready(EHLO_PIPELINING_CHUNKING);
    const sent = h.send(KNOWN_SIZE);
    h.session.bodyFinished();
    h.server('550 5.7.1 sender refused\n250 ok\n250 2.0.0 Ok: queued as XYZ');
    await flush();
    expect(sent.result).toMatchObject({ ok: false, error: { outcome: 'unknown' } });
    expect(h.closed).toBe(true);
  });

  test('a refusal of that LAST chunk still settles with the envelope refusal, after RSET', async () => {
    const h = new Harness().ready(EHLO_PIPELINING_CHUNKING);
    const sent = h.send(KNOWN_SIZE);
    h.session.bodyFinished();
    h.server('550 5.7.1 sender refused\n250 ok\n503 5.5.1 no valid sender');
    expect(h.lastWrite).toBe('RSET\r\n');
    h.server('250 reset');
    await flush();
    expect(sent.result).toMatchObject({
      ok: false,
      error: { code: ErrorCodes.SENDER_REJECTED, outcome: 'rejected' },
    });
  });
});
