/**
 * The next transaction behind the dot (RFC 2920 §3.1): a send taken while a pipelined transaction is
 * in flight, its MAIL/RCPT/DATA written right behind the dot, replies matched in order, and exact
 * outcomes for both when something fails in between.
 */
import { describe, expect, test } from 'vitest';
import { ErrorCodes } from '../../src/errors/codes.js';
import { flush, Harness } from './harness.js';

const PIPELINED = '250-mx.example\n250-PIPELINING\n250 SIZE 1000';
const ENVELOPE_2 = 'MAIL FROM:<a@example.com>\r\nRCPT TO:<c@example.org>\r\nDATA\r\n';

/** tx1 at its body (354 received), tx2 handed over and held. */
function twoInFlight(options: ConstructorParameters<typeof Harness>[0] = {}) {
  const h = new Harness(options).ready(PIPELINED);
  const first = h.send();
  expect(h.session.acceptsSend).toBe(true);
  const second = h.send({ to: ['c@example.org'] });
  expect(h.session.acceptsSend).toBe(false);
  h.server('250 ok\n250 ok\n354 go');
  return { h, first, second };
}

describe('next transaction behind the dot', () => {
  test('happy path: the next MAIL/RCPT/DATA are written the moment the dot is, replies in order', async () => {
    const { h, first, second } = twoInFlight();
    const writesBefore = h.writes.length;
    h.session.bodyFinished();
    // One write effect, emitted synchronously with body.finished: the transport joins it to the dot.
    expect(h.writes.slice(writesBefore)).toEqual([ENVELOPE_2]);
    expect(h.session.state).toBe('dataEnd');
    h.server('250 Ok id1\n250 ok\n250 ok\n354 go');
    await flush();
    expect(first.result).toMatchObject({ ok: true, value: { messageId: 'id1' } });
    expect(second.result).toBeUndefined();
    expect(h.session.state).toBe('body');
    h.session.bodyFinished();
    h.server('250 Ok id2');
    await flush();
    expect(second.result).toMatchObject({
      ok: true,
      value: { messageId: 'id2', accepted: ['c@example.org'] },
    });
    expect(h.writes).toEqual([
      'EHLO client.example\r\n',
      'MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n',
      ENVELOPE_2,
    ]);
    expect(h.session.idle).toBe(true);
    expect(h.session.messagesSent).toBe(2);
  });

  test('a send arriving after the dot is written at once (dataEnd), still before the dot reply', async () => {
    const h = new Harness().ready(PIPELINED);
    const first = h.send();
    h.server('250 ok\n250 ok\n354 go');
    h.session.bodyFinished();
    const second = h.send({ to: ['c@example.org'] });
    expect(h.lastWrite).toBe(ENVELOPE_2);
    h.server('250 Ok id1\n250 ok\n250 ok\n354 go');
    await flush();
    expect(first.result).toMatchObject({ ok: true });
    expect(h.session.state).toBe('body');
    expect(second.result).toBeUndefined();
  });

  test('onSendable fires synchronously between the dot reply and the next replies of the same read', async () => {
    const calls: string[] = [];
    const box: { h?: Harness } = {};
    const h = new Harness({ onSendable: () => calls.push(box.h?.session.state ?? '?') });
    box.h = h;
    h.ready(PIPELINED);
    expect(calls).toEqual(['ready']);
    h.send();
    expect(h.session.acceptsSend).toBe(true); // still able: no new call, the owner checks acceptsSend
    expect(calls).toEqual(['ready']);
    h.send({ to: ['c@example.org'] });
    h.server('250 ok\n250 ok\n354 go');
    h.session.bodyFinished();
    h.server('250 Ok id1\n250 ok\n250 ok\n354 go');
    // After the dot reply (tx2 promoted, awaiting its MAIL reply), before tx2's 354 was processed.
    expect(calls).toEqual(['ready', 'mail']);
    expect(h.session.acceptsSend).toBe(true);
  });

  test('tx1 dot refused while tx2 is in flight: tx1 rejected, no RSET, tx2 goes on', async () => {
    const { h, first, second } = twoInFlight();
    h.session.bodyFinished();
    h.server('554 5.7.1 message refused\n250 ok\n250 ok\n354 go');
    await flush();
    expect(first.result).toMatchObject({
      ok: false,
      error: { code: ErrorCodes.MESSAGE_REJECTED, outcome: 'rejected' },
    });
    expect(h.writes.some((w) => w.startsWith('RSET'))).toBe(false);
    h.session.bodyFinished();
    h.server('250 Ok id2');
    await flush();
    expect(second.result).toMatchObject({ ok: true, value: { messageId: 'id2' } });
  });

  test('tx2 MAIL refused: tx1 delivered, tx2 SENDER_REJECTED after RSET, session ready', async () => {
    const { h, first, second } = twoInFlight();
    h.session.bodyFinished();
    h.server('250 Ok id1\n550 5.7.1 sender refused\n503 need MAIL\n503 need RCPT');
    expect(h.lastWrite).toBe('RSET\r\n');
    h.server('250 reset');
    await flush();
    expect(first.result).toMatchObject({ ok: true });
    expect(second.result).toMatchObject({
      ok: false,
      error: { code: ErrorCodes.SENDER_REJECTED, outcome: 'rejected' },
    });
    expect(h.session.idle).toBe(true);
  });

  test.each([
    [
      'connection lost',
      (h: Harness) => h.session.closed(new Error('ECONNRESET')),
      ErrorCodes.CONNECTION_CLOSED,
    ],
    ['timeout', (h: Harness) => h.clock.increment(600_000), ErrorCodes.TIMEOUT],
    ['malformed reply', (h: Harness) => h.server('25x what'), ErrorCodes.REPLY_MALFORMED],
  ])('%s after the combined flight: tx1 unknown, tx2 not-sent', async (_name, lose, code) => {
    const { h, first, second } = twoInFlight();
    h.session.bodyFinished();
    lose(h);
    await flush();
    expect(first.result).toMatchObject({ ok: false, error: { code, outcome: 'unknown' } });
    expect(second.result).toMatchObject({
      ok: false,
      error: { code: ErrorCodes.CONNECTION_CLOSED, outcome: 'not-sent', retryable: true },
    });
    expect(h.closed).toBe(true);
  });

  test('421 to the dot ends the session and settles both not-sent', async () => {
    const { h, first, second } = twoInFlight();
    h.session.bodyFinished();
    h.server('421 4.4.2 closing');
    await flush();
    expect(first.result).toMatchObject({
      ok: false,
      error: { code: ErrorCodes.SERVICE_UNAVAILABLE, outcome: 'not-sent' },
    });
    expect(second.result).toMatchObject({ ok: false, error: { outcome: 'not-sent' } });
    expect(h.closed).toBe(true);
    expect(h.writes.some((w) => w.startsWith('RSET'))).toBe(false);
  });

  test('pre-check failure of tx2: refused at once, nothing of it written, tx1 unaffected', async () => {
    const h = new Harness().ready(PIPELINED);
    const first = h.send();
    const tooBig = h.send({ size: 1001 });
    const eightBitless = new Harness().ready('250-mx\n250 PIPELINING');
    eightBitless.send();
    const eightBit = eightBitless.send({ eightBit: true });
    await flush();
    expect(tooBig.result).toMatchObject({ ok: false, error: { code: ErrorCodes.MESSAGE_TOO_LARGE } });
    expect(eightBit.result).toMatchObject({ ok: false, error: { code: ErrorCodes.BODY_8BIT_NOT_SUPPORTED } });
    expect(h.session.acceptsSend).toBe(true); // the slot is still free
    h.server('250 ok\n250 ok\n354 go');
    const writes = h.writes.length;
    h.session.bodyFinished();
    expect(h.writes).toHaveLength(writes); // no envelope behind the dot
    h.server('250 Ok id1');
    await flush();
    expect(first.result).toMatchObject({ ok: true });
  });

  test('abort of the held next: it leaves, tx1 unaffected; abort of a next written behind the dot closes after tx1', async () => {
    const h = new Harness().ready(PIPELINED);
    const first = h.send();
    const controller = new AbortController();
    const second = h.send({ to: ['c@example.org'] }, controller.signal);
    controller.abort();
    await flush();
    expect(second.result).toMatchObject({
      ok: false,
      error: { code: ErrorCodes.ABORTED, outcome: 'not-sent' },
    });
    h.server('250 ok\n250 ok\n354 go');
    const third = new AbortController();
    const late = h.send({ to: ['d@example.org'] }, third.signal);
    h.session.bodyFinished();
    third.abort();
    h.server('250 Ok id1');
    await flush();
    expect(first.result).toMatchObject({ ok: true });
    expect(late.result).toMatchObject({
      ok: false,
      error: { code: ErrorCodes.ABORTED, outcome: 'not-sent' },
    });
    expect(h.closed).toBe(true);
  });

  test('without PIPELINING: one transaction at a time, a second send is refused as busy', async () => {
    const h = new Harness().ready('250-mx\n250 8BITMIME');
    h.send();
    expect(h.session.acceptsSend).toBe(false);
    await expect(h.session.send({ from: '', to: ['b@example.org'], body: '' })).rejects.toMatchObject({
      code: ErrorCodes.SESSION_BUSY,
    });
  });
});
