/**
 * Recipients deferred at RCPT go again together, led by the most pressing reply among them
 * (retry-scheduler.ts URGENCY): a daily-quota stop before a slow-down, a slow-down before a plain
 * 4xx. And a send whose recipients were all refused reports each refusal once.
 */
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors/codes.js';
import { errorOf, message, ofType, SES_HOST, setup, track } from './pool-fakes.js';

const TEMPORARY = { code: 451, text: 'Temporary service failure' };
const MAX_RATE = { code: 454, text: 'Throttling failure: Maximum sending rate exceeded.' };
const DAILY_QUOTA = { code: 454, text: 'Throttling failure: Daily message quota exceeded.' };

const TO = ['a@x.test', 'b@x.test', 'c@x.test'];

describe('the reply that leads a per-recipient retry', () => {
  it('a 454 maximum sending rate leads over a 451 listed before it', async () => {
    const { pool, clock, events } = setup(
      (call) =>
        call.index === 0
          ? {
              kind: 'ok',
              rejected: [
                { recipient: 'b@x.test', ...TEMPORARY },
                { recipient: 'c@x.test', ...MAX_RATE },
              ],
            }
          : { kind: 'ok' },
      { host: SES_HOST },
    );
    track(pool.send({ ...message(1), to: TO }));
    await clock.advanceAsync(0);
    expect(ofType(events, 'retry-scheduled')).toMatchObject([
      { cause: 'recipients', code: ErrorCodes.THROTTLED, delayMs: 5_000 },
    ]);
  });

  it("a daily-quota 454 leads over a maximum-rate 454: with onQuotaExceeded 'wait' the recipients wait for resume(), not a back-off", async () => {
    const { pool, clock, events, server } = setup(
      (call) =>
        call.index === 0
          ? {
              kind: 'ok',
              rejected: [
                { recipient: 'b@x.test', ...MAX_RATE },
                { recipient: 'c@x.test', ...DAILY_QUOTA },
              ],
            }
          : { kind: 'ok' },
      { host: SES_HOST, onQuotaExceeded: 'wait' },
    );
    const sending = track(pool.send({ ...message(1), to: TO }));
    await clock.advanceAsync(60_000);
    expect(pool.stats().quotaStopped).toBe(true);
    expect(pool.stats().retriesByCause['stop-sending']).toBe(1);
    expect(ofType(events, 'retry-scheduled')).toEqual([]);
    expect(server.calls).toHaveLength(1);
    pool.resume();
    await clock.advanceAsync(0);
    expect(sending.settled).toMatchObject([{ ok: true, value: { accepted: TO } }]);
    const [settled] = sending.settled;
    if (settled?.ok) expect(settled.value.attempts.map((a) => a.delayBeforeMs)).toEqual([0, 0]);
  });
});

describe('a daily-quota 454 at every RCPT, with the default onQuotaExceeded (fail)', () => {
  it('fails that send as SMTP_ALL_RECIPIENTS_REJECTED, each refusal listed with its 454; the pool stops and later sends fail fast as SMTP_DAILY_QUOTA_EXCEEDED', async () => {
    const { pool, clock, events, server } = setup(
      () => ({ kind: 'ok', rejected: TO.map((recipient) => ({ recipient, ...DAILY_QUOTA })) }),
      { host: SES_HOST },
    );
    const first = errorOf(pool.send({ ...message(1), to: TO }));
    await clock.advanceAsync(0);
    const failed = await first;
    expect(failed.code).toBe(ErrorCodes.ALL_RECIPIENTS_REJECTED);
    expect(failed.outcome).toBe('not-sent');
    expect(failed.rejectedRecipients?.map((r) => [r.recipient, r.reply.code])).toEqual(
      TO.map((recipient) => [recipient, 454]),
    );
    expect(ofType(events, 'quota-stopped')).toHaveLength(1);
    expect(pool.stats().quotaStopped).toBe(true);
    const later = errorOf(pool.send(message(2)));
    await clock.advanceAsync(0);
    expect((await later).code).toBe(ErrorCodes.DAILY_QUOTA_EXCEEDED);
    expect(server.calls).toHaveLength(1);
  });
});

describe('a send refused at every RCPT', () => {
  it('lists each refused recipient once in rejectedRecipients', async () => {
    const { pool, clock } = setup(() => ({
      kind: 'ok',
      rejected: TO.map((recipient) => ({ recipient, code: 550, text: '5.1.1 No such user' })),
    }));
    const error = errorOf(pool.send({ ...message(1), to: TO }));
    await clock.advanceAsync(0);
    const failed = await error;
    expect(failed.code).toBe(ErrorCodes.ALL_RECIPIENTS_REJECTED);
    expect(failed.rejectedRecipients?.map((r) => r.recipient)).toEqual(TO);
  });
});
