/**
 * A transaction that fails after some recipients were refused for good (5xx at RCPT) lists them in
 * its error's `rejectedRecipients`. The pool takes them as final: the next attempt goes to the
 * others only, and they stay reported — in `rejected` if the message gets through, in the error's
 * `rejectedRecipients` if it never does. A 4xx-refused recipient goes again with the message.
 */
import { describe, expect, it } from 'vitest';
import { withRejectedRecipients } from '../../src/errors/smtp-error.js';
import { closedError, errorOf, fail, message, reply, replyError, setup, track } from './pool-fakes.js';

const A = 'a@x.test';
const B = 'b@x.test';
const C = 'c@x.test';
const SETTINGS = { retry: { delaysMs: [1_000, 1_000], maxAttempts: 3 } } as const;

/** A 451 to the dot, after RCPT refused `b` with 550 (and, if given, `c` with 450). */
function dotDeferredAfterRefusals(withDeferred = false) {
  return fail(
    withRejectedRecipients(replyError(451, '4.3.0 try later', 'data-end'), [
      { recipient: B, reply: reply(550, '5.1.1 no such user') },
      ...(withDeferred ? [{ recipient: C, reply: reply(450, '4.2.1 mailbox busy') }] : []),
    ]),
  );
}

describe('pool: recipients refused before a failed transaction', () => {
  it('the next attempt leaves out the 5xx-refused recipient; the result reports it as rejected', async () => {
    const { pool, clock, server } = setup(
      (call) => (call.index === 0 ? dotDeferredAfterRefusals() : { kind: 'ok' }),
      SETTINGS,
    );
    const sent = track(pool.send(message(1, [A, B])));
    await clock.advanceAsync(60_000);
    expect(server.calls.map((c) => c.request.to)).toEqual([[A, B], [A]]);
    expect(sent.settled).toHaveLength(1);
    const settled = sent.settled[0]!;
    if (!settled.ok) throw settled.error;
    expect(settled.value.accepted).toEqual([A]);
    expect(settled.value.rejected).toMatchObject([
      { recipient: B, outcome: 'rejected', reply: { code: 550 } },
    ]);
  });

  it('a 4xx-refused recipient goes again with the message', async () => {
    const { pool, clock, server } = setup(
      (call) => (call.index === 0 ? dotDeferredAfterRefusals(true) : { kind: 'ok' }),
      SETTINGS,
    );
    const sent = track(pool.send(message(1, [A, B, C])));
    await clock.advanceAsync(60_000);
    expect(server.calls.map((c) => c.request.to)).toEqual([
      [A, B, C],
      [A, C],
    ]);
    expect(sent.settled[0]).toMatchObject({ ok: true, value: { accepted: [A, C] } });
  });

  it('the message never gets through: the final error still lists the refused recipient', async () => {
    const { pool, clock, server } = setup(
      (call) =>
        call.index === 0 ? dotDeferredAfterRefusals() : fail(replyError(451, '4.3.0 try later', 'data-end')),
      SETTINGS,
    );
    const error = errorOf(pool.send(message(1, [A, B])));
    await clock.advanceAsync(600_000);
    expect(server.calls.map((c) => c.request.to)).toEqual([[A, B], [A], [A]]);
    const e = await error;
    expect(e.outcome).toBe('not-sent');
    expect(e.rejectedRecipients).toMatchObject([{ recipient: B, reply: { code: 550 } }]);
  });
});

describe('pool: a recipient refused at RCPT in an attempt whose final reply was lost', () => {
  it('got nothing of that attempt: a 5xx to it later is "rejected", not "unknown" (atLeastOnce retries)', async () => {
    // 1: b 450 at RCPT, a accepted, then the dot's reply lost; 2: b refused 550, a delivered.
    const lost = withRejectedRecipients(closedError('unknown', 'data-end'), [
      { recipient: B, reply: reply(450, '4.2.1 mailbox busy') },
    ]);
    const { pool, clock, server } = setup(
      (call) =>
        call.index === 0
          ? fail(lost)
          : { kind: 'ok', rejected: [{ recipient: B, code: 550, text: '5.1.1 no such user' }] },
      { atLeastOnce: true, ...SETTINGS },
    );
    const sent = track(pool.send(message(1, [A, B])));
    await clock.advanceAsync(60_000);
    expect(server.calls.map((c) => c.request.to)).toEqual([
      [A, B],
      [A, B],
    ]);
    expect(sent.settled[0]).toMatchObject({
      ok: true,
      value: { rejected: [{ recipient: B, outcome: 'rejected', reply: { code: 550 } }] },
    });
  });
});
