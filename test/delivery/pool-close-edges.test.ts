/**
 * close() details (pool-drain.ts): a later close() only tightens the deadline, never loosens it;
 * a negative deadline is refused; and once close() has resolved no timer of the pool is left
 * (a 20-minute retry back-off or the 1 s settle grace would keep a real process alive).
 */
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors/codes.js';
import { errorOf, fail, message, ofType, replyError, SES_HOST, setup, track } from './pool-fakes.js';

describe('close() options', () => {
  it('a later close() with a longer deadline keeps the earlier, shorter one', async () => {
    const { pool, clock, events } = setup(() => ({ kind: 'hang' }));
    const sending = track(pool.send(message(1)));
    await clock.advanceAsync(0);
    void pool.close({ deadlineMs: 1_000 });
    void pool.close({ deadlineMs: 5_000 });
    await clock.advanceAsync(1_000);
    expect(ofType(events, 'close-deadline')).toHaveLength(1);
    expect(sending.settled).toMatchObject([{ ok: false, error: { code: ErrorCodes.CLIENT_CLOSED } }]);
  });

  it('refuses a negative deadline, naming the field', async () => {
    const { pool } = setup();
    const error = await errorOf(pool.close({ deadlineMs: -1 }));
    expect(error).toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT, field: 'deadlineMs' });
  });
});

describe('no timer outlives close()', () => {
  it('a send waiting out a retry back-off: its timer goes when close() settles it', async () => {
    const { pool, clock } = setup(() => fail(replyError(451, 'Temporary service failure', 'data-end')), {
      host: SES_HOST,
      idleTimeoutMs: 0,
    });
    const sending = track(pool.send(message(1)));
    await clock.advanceAsync(0);
    expect(pool.stats().waitingRetry).toBe(1);
    const closing = pool.close();
    await clock.advanceAsync(0);
    await closing;
    expect(sending.settled).toMatchObject([{ ok: false, error: { outcome: 'not-sent' } }]);
    expect(clock.pending).toBe(0);
  });

  it('a transaction aborted at the close deadline that reports at once: the settle grace timer goes too', async () => {
    const { pool, clock } = setup(() => ({ kind: 'hang', outcome: 'unknown' }), { idleTimeoutMs: 0 });
    const sending = track(pool.send(message(1)));
    await clock.advanceAsync(0);
    const closing = pool.close({ deadlineMs: 100 });
    await clock.advanceAsync(100);
    await closing;
    expect(sending.settled).toMatchObject([{ ok: false, error: { outcome: 'unknown' } }]);
    expect(clock.pending).toBe(0);
  });
});
