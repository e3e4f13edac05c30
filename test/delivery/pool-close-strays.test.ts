/**
 * close() keeps its bound and the closed pool stays quiet:
 * - a custom client without destroy() whose QUIT is never answered no longer holds close({ deadlineMs })
 *   past its deadline (the pool stops waiting for it);
 * - resume() on a closing pool does nothing;
 * - a send() to a closing or closed pool is refused like a bad request: no id, event or count.
 */
import { describe, expect, it } from 'vitest';
import { createPool } from '../../src/delivery/pool.js';
import { ErrorCodes } from '../../src/errors/codes.js';
import { ManualClock } from '../support/manual-clock.js';
import { errorOf, fail, message, replyError, setup } from './pool-fakes.js';

describe('close() and after', () => {
  it('a client without destroy() that never answers QUIT: close({ deadlineMs }) still resolves', async () => {
    const clock = new ManualClock(0);
    const events: string[] = [];
    const pool = createPool({
      host: 'mail.example.test',
      clock,
      random: () => 0.5,
      onEvent: (event) => events.push(event.type),
      createClient: () =>
        ({
          send: async (request: { to: readonly string[] }) => ({
            accepted: [...request.to],
            rejected: [],
            reply: { code: 250, lines: ['ok'] },
          }),
          close: () => new Promise<void>(() => undefined),
        }) as never,
    });
    await Promise.all([pool.send(message(1)), clock.advanceAsync(0)]);
    let closed = false;
    void pool.close({ deadlineMs: 100 }).then(() => {
      closed = true;
    });
    await clock.advanceAsync(1_200);
    expect(closed).toBe(true);
    expect(events.at(-1)).toBe('pool-closed');
  });

  it('resume() after close() does nothing', async () => {
    const { pool, clock, events } = setup(() =>
      fail(replyError(535, '5.7.8 Authentication Credentials Invalid', 'auth')),
    );
    await Promise.all([errorOf(pool.send(message(1))), clock.advanceAsync(60_000)]);
    expect(pool.stats().credentialsRefused).toBe(true);
    await Promise.all([pool.close(), clock.advanceAsync(10)]);
    const count = events.length;
    pool.resume();
    expect(events).toHaveLength(count);
    expect(pool.stats().credentialsRefused).toBe(true);
  });

  it('send() after close() is refused with no event (none after pool-closed) and no count', async () => {
    const { pool, clock, events } = setup();
    await Promise.all([pool.send(message(1)), clock.advanceAsync(10)]);
    const closing = pool.close();
    const during = await errorOf(pool.send(message(2)));
    await Promise.all([closing, clock.advanceAsync(10)]);
    const after = await errorOf(pool.send(message(3)));
    for (const error of [during, after]) {
      expect({ code: error.code, outcome: error.outcome }).toEqual({
        code: ErrorCodes.CLIENT_CLOSED,
        outcome: 'not-sent',
      });
    }
    expect(events.at(-1)?.type).toBe('pool-closed');
    expect(events.filter((e) => e.type === 'message-rejected')).toEqual([]);
    const stats = pool.stats();
    expect([stats.delivered, stats.failed]).toEqual([1, 0]);
  });
});
