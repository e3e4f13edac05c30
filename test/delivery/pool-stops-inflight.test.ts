/**
 * A pool stop (refused credentials, SES's daily quota) reaches every send, also those already taken
 * from the queue: waiting for send-rate tokens, or between attempts. A 'fail' send fails at once
 * (README: "fail queued and new sends fast"), a 'wait' send waits for resume() without meeting the
 * stop again; resume() from the quota-stopped listener wins; a quota wait is no back-off. And what
 * a send that fails in a later attempt reports of an earlier one: its recipients refused for good;
 * recipients deferred at RCPT, each classified by its own reply; and, under at-least-once, a
 * recipient an earlier attempt may have delivered to stays 'unknown'.
 */
import { describe, expect, it } from 'vitest';
import { attemptsOf } from '../../src/delivery/attempt-history.js';
import { createPool } from '../../src/delivery/pool.js';
import { ManualClock } from '../support/manual-clock.js';
import {
  type Behaviour,
  closedError,
  errorOf,
  FakeServer,
  fail,
  message,
  ok,
  replyError,
  SES_HOST,
  setup,
  track,
} from './pool-fakes.js';

const QUOTA = () => fail(replyError(454, 'Throttling failure: Daily message quota exceeded.', 'data-end'));

describe('a stop reaches sends already taken from the queue', () => {
  it('refused credentials: the send waiting for tokens opens no connection and does not AUTH again', async () => {
    const { pool, server, clock } = setup(
      () => fail(replyError(535, 'Authentication Credentials Invalid', 'auth')),
      {
        host: SES_HOST,
        maxConnections: 2,
        rateLimit: { perSecond: 1, burst: 1 },
      },
    );
    const first = errorOf(pool.send(message(1)));
    const second = errorOf(pool.send(message(2)));
    await clock.advanceAsync(2_000);
    await first;
    await second;
    expect(pool.stats().credentialsRefused).toBe(true);
    expect(server.calls).toHaveLength(1);
  });

  it("daily quota, 'wait': the send waiting for tokens waits for resume() instead of meeting the 454 again", async () => {
    const { pool, server, clock } = setup(QUOTA, {
      host: SES_HOST,
      maxConnections: 2,
      rateLimit: { perSecond: 1, burst: 1 },
      onQuotaExceeded: 'wait',
    });
    track(pool.send(message(1)));
    track(pool.send(message(2)));
    await clock.advanceAsync(2_000);
    expect(pool.stats().quotaStopped).toBe(true);
    expect(server.calls).toHaveLength(1);
  });

  it("daily quota, 'fail': a send between attempts fails at once, not after its back-off", async () => {
    const { pool, clock } = setup(
      (call) =>
        new Promise((resolve) =>
          call.index === 0
            ? resolve(QUOTA())
            : call.index === 1
              ? clock.setTimeout(
                  () => resolve(fail(replyError(451, 'Temporary service failure', 'data-end'))),
                  10,
                )
              : resolve(ok),
        ),
      { host: SES_HOST, maxConnections: 2 },
    );
    track(pool.send(message(1)));
    const second = track(pool.send(message(2)));
    await clock.advanceAsync(100);
    expect(pool.stats().quotaStopped).toBe(true);
    expect(second.settled).toMatchObject([{ ok: false, error: { outcome: 'not-sent' } }]);
  });
});

describe('resume() and the quota stop', () => {
  it("resume() from the quota-stopped listener: queued 'fail' sends go", async () => {
    const clock = new ManualClock(0);
    const server = new FakeServer((call) => (call.index === 0 ? QUOTA() : ok));
    const pool = createPool({
      host: SES_HOST,
      clock,
      random: () => 0.5,
      createClient: server.factory,
      maxConnections: 1,
      onEvent: (event) => {
        if (event.type === 'quota-stopped') pool.resume();
      },
    });
    track(pool.send(message(1)));
    track(pool.send(message(2)));
    const third = track(pool.send(message(3)));
    await clock.advanceAsync(0);
    expect(pool.stats().quotaStopped).toBe(false);
    expect(third.settled).toMatchObject([{ ok: true }]);
  });

  it('the attempt after a quota wait reports no back-off before it', async () => {
    const { pool, clock } = setup(
      (call) =>
        call.index === 0
          ? fail(replyError(451, 'Temporary service failure', 'data-end'))
          : call.index === 1
            ? QUOTA()
            : ok,
      { host: SES_HOST, onQuotaExceeded: 'wait' },
    );
    const sending = track(pool.send(message(1)));
    await clock.advanceAsync(5_000);
    await clock.advanceAsync(60_000);
    pool.resume();
    await clock.advanceAsync(0);
    const [settled] = sending.settled;
    if (!settled?.ok) throw new Error('expected delivered');
    expect(settled.value.attempts.map((a) => a.delayBeforeMs)).toEqual([0, 5_000, 0]);
  });
});

describe('recipients refused for good in an earlier attempt', () => {
  const refuse = (...refusals: [string, number][]): Behaviour => ({
    kind: 'ok',
    rejected: refusals.map(([recipient, code]) => ({
      recipient,
      code,
      text: code >= 500 ? '5.1.1 No such user' : '4.5.3 try later',
    })),
  });

  it.each([
    ['the retry is refused again (4xx)', () => refuse(['a@x.test', 451])],
    ['the retry loses its connection', () => fail(closedError('not-sent', 'greeting'))],
  ])('stay in the final error when %s (README: 5xx recipients are reported)', async (_name, retryAnswer) => {
    const { pool, clock } = setup(
      (call) => (call.index === 0 ? refuse(['a@x.test', 451], ['b@x.test', 550]) : retryAnswer()),
      { retry: { delaysMs: [10], maxAttempts: 2 } },
    );
    const error = errorOf(pool.send({ ...message(1), to: ['a@x.test', 'b@x.test'] }));
    await clock.advanceAsync(10);
    const failed = await error;
    expect(attemptsOf(failed)).toHaveLength(2);
    expect((failed.rejectedRecipients ?? []).map((r) => r.recipient)).toContain('b@x.test');
    expect(failed.rejectedRecipients?.find((r) => r.recipient === 'b@x.test')?.reply.code).toBe(550);
  });
});

describe('a stop never rewrites an outcome', () => {
  // Under atLeastOnce an 'unknown' attempt reaches the retry decision: the stop's fail-fast pass
  // settles it at once (no back-off that could only end in the stop), and as 'unknown', never as the
  // queued sends' 'not-sent'.
  it.each([
    ['by default', {}],
    ['under atLeastOnce', { atLeastOnce: true }],
  ])(
    "a send in flight whose final reply was lost when the pool stopped stays 'unknown' (%s)",
    async (_, options) => {
      const { pool, clock } = setup(
        (call) =>
          new Promise((resolve) =>
            call.index === 0
              ? resolve(QUOTA())
              : clock.setTimeout(() => resolve(fail(closedError('unknown', 'data-end'))), 10),
          ),
        { host: SES_HOST, maxConnections: 2, ...options },
      );
      track(pool.send(message(1)));
      const second = track(pool.send(message(2)));
      await clock.advanceAsync(100);
      expect(pool.stats().quotaStopped).toBe(true);
      // Its own error (the lost final reply), not the stop's "Not sent: the daily quota…".
      expect(second.settled).toMatchObject([
        { ok: false, error: { outcome: 'unknown', code: 'SMTP_CONNECTION_CLOSED' } },
      ]);
      const [settled] = second.settled;
      if (settled && !settled.ok) expect(settled.error.message).not.toMatch(/^Not sent/);
    },
  );
});

describe('recipients deferred at RCPT, each by its own reply', () => {
  it('a daily-quota 454 on a later deferred recipient stops the pool, and each keeps its own code', async () => {
    const { pool, clock } = setup(
      (call) =>
        call.index === 0
          ? {
              kind: 'ok',
              rejected: [
                { recipient: 'b@x.test', code: 451, text: 'Temporary service failure' },
                {
                  recipient: 'c@x.test',
                  code: 454,
                  text: 'Throttling failure: Daily message quota exceeded.',
                },
              ],
            }
          : ok,
      { host: SES_HOST, retry: false },
    );
    const sending = track(pool.send({ ...message(1), to: ['a@x.test', 'b@x.test', 'c@x.test'] }));
    await clock.advanceAsync(0);
    expect(pool.stats().quotaStopped).toBe(true);
    const [settled] = sending.settled;
    if (!settled?.ok) throw new Error('expected delivered to a@');
    const codeOf = (recipient: string) => settled.value.rejected.find((r) => r.recipient === recipient)?.code;
    expect(codeOf('c@x.test')).toBe('SMTP_DAILY_QUOTA_EXCEEDED');
    expect(codeOf('b@x.test')).not.toBe('SMTP_DAILY_QUOTA_EXCEEDED');
  });
});

describe('at-least-once: a recipient an earlier attempt may have delivered to', () => {
  it("is reported 'unknown' when later retries run out, not 'not-sent'", async () => {
    const { pool, clock } = setup(
      (call) =>
        call.index === 0
          ? { kind: 'ok', rejected: [{ recipient: 'b@x.test', code: 451, text: '4.5.3 try later' }] }
          : call.index === 1
            ? fail(closedError('unknown', 'data-end')) // b@'s retry lost its final reply
            : fail(replyError(451, 'Temporary service failure', 'data-end')),
      { atLeastOnce: true, retry: { delaysMs: [10], repeatLast: true, maxAttempts: 3 } },
    );
    const sending = track(pool.send({ ...message(1), to: ['a@x.test', 'b@x.test'] }));
    await clock.advanceAsync(100);
    const [settled] = sending.settled;
    if (!settled?.ok) throw new Error('expected delivered to a@');
    expect(settled.value.mayDuplicate).toBe(true);
    expect(settled.value.rejected).toMatchObject([{ recipient: 'b@x.test', outcome: 'unknown' }]);
  });
});
