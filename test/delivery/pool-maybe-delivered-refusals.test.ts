/**
 * A recipient an earlier attempt may have delivered to (its final reply was lost, and `atLeastOnce`
 * retried it) is never reported as refused, even when a later attempt's RCPT gets a 5xx: the
 * message may be in that mailbox, and a caller that suppresses refused addresses must not drop it.
 * The final error is 'unknown'; its `rejectedRecipients` lists only recipients refused for good
 * before anything may have gone out, and the later attempt's own error (with its refusals) is its
 * `cause`. On success the same recipient is in `rejected` with outcome 'unknown'.
 */
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors/codes.js';
import type { SmtpError } from '../../src/errors/smtp-error.js';
import { closedError, errorOf, fail, message, setup, track } from './pool-fakes.js';

const NO_SUCH_USER = { code: 550, text: '5.1.1 No such user' };
const TEMPORARY = { code: 451, text: '4.3.0 Temporary failure' };
const SETTINGS = { atLeastOnce: true, retry: { delaysMs: [1_000, 1_000, 1_000], maxAttempts: 5 } } as const;

describe('refusals after a lost final reply', () => {
  it('a recipient refused 5xx after an attempt lost its final reply is not listed as refused', async () => {
    const { pool, clock, server } = setup(
      (call) =>
        call.index === 0
          ? fail(closedError('unknown', 'data-end'))
          : { kind: 'ok', rejected: [{ recipient: 'a@x.test', ...NO_SUCH_USER }] },
      SETTINGS,
    );
    const error = errorOf(pool.send(message(1, ['a@x.test'])));
    await clock.advanceAsync(60_000);
    expect(server.calls).toHaveLength(2);
    const e = await error;
    expect(e.outcome).toBe('unknown');
    expect(e.code).toBe(ErrorCodes.ALL_RECIPIENTS_REJECTED);
    expect(e.rejectedRecipients ?? []).toEqual([]);
    // The later attempt's refusal is still there to read, as that attempt's error.
    const cause = e.cause as SmtpError;
    expect(cause.outcome).toBe('rejected');
    expect(cause.rejectedRecipients).toMatchObject([{ recipient: 'a@x.test', reply: { code: 550 } }]);
  });

  it('a recipient refused for good before anything may have gone out stays listed', async () => {
    // 1: a 550, b 451 (all refused, b deferred); 2: b's dot reply lost; 3: b refused 550.
    const { pool, clock, server } = setup((call) => {
      if (call.index === 0)
        return {
          kind: 'ok',
          rejected: [
            { recipient: 'a@x.test', ...NO_SUCH_USER },
            { recipient: 'b@x.test', ...TEMPORARY },
          ],
        };
      if (call.index === 1) return fail(closedError('unknown', 'data-end'));
      return { kind: 'ok', rejected: [{ recipient: 'b@x.test', ...NO_SUCH_USER }] };
    }, SETTINGS);
    const error = errorOf(pool.send(message(1, ['a@x.test', 'b@x.test'])));
    await clock.advanceAsync(600_000);
    expect(server.calls.map((c) => c.request.to)).toEqual([
      ['a@x.test', 'b@x.test'],
      ['b@x.test'],
      ['b@x.test'],
    ]);
    const e = await error;
    expect(e.outcome).toBe('unknown');
    expect(e.rejectedRecipients).toEqual([
      { recipient: 'a@x.test', reply: { code: 550, lines: [NO_SUCH_USER.text] } },
    ]);
  });

  it('on success the same recipient is reported in rejected with outcome unknown', async () => {
    // 1: a and b taken, dot reply lost; 2: a taken, b refused 550.
    const { pool, clock } = setup(
      (call) =>
        call.index === 0
          ? fail(closedError('unknown', 'data-end'))
          : { kind: 'ok', rejected: [{ recipient: 'b@x.test', ...NO_SUCH_USER }] },
      SETTINGS,
    );
    const sending = track(pool.send(message(1, ['a@x.test', 'b@x.test'])));
    await clock.advanceAsync(60_000);
    const [settled] = sending.settled;
    expect(settled?.ok).toBe(true);
    if (!settled?.ok) return;
    expect(settled.value.mayDuplicate).toBe(true);
    expect(settled.value.accepted).toEqual(['a@x.test']);
    expect(settled.value.rejected).toMatchObject([
      { recipient: 'b@x.test', outcome: 'unknown', reply: { code: 550 } },
    ]);
  });
});
