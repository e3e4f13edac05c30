/**
 * close() called from an onEvent listener while a send is between attempts (its transaction over,
 * its retry not yet decided): the send still counts, so the pool is not reported closed before it
 * settles. Without waitForRetries the back-off it is given is not waited (README: a waiting retry
 * settles at once on close with its last failure) and no connection opens for it after the close.
 */
import { describe, expect, it } from 'vitest';
import { attemptsOf } from '../../src/delivery/attempt-history.js';
import { createPool, type Pool } from '../../src/delivery/pool.js';
import type { PoolCloseOptions } from '../../src/delivery/pool-drain.js';
import type { PoolEvent } from '../../src/delivery/pool-events.js';
import { ErrorCodes } from '../../src/errors/codes.js';
import { ManualClock } from '../support/manual-clock.js';
import { FakeServer, fail, message, replyError, SES_HOST, sequence, track } from './pool-fakes.js';

/** One send whose first attempt gets a 451; the listener calls close(options) on `trigger`. */
function closeFromListener(trigger: PoolEvent['type'], options: PoolCloseOptions = {}) {
  const clock = new ManualClock(0);
  const server = new FakeServer(sequence(fail(replyError(451, 'Temporary service failure'))));
  const events: PoolEvent['type'][] = [];
  const closing = { closed: false, settledFirst: false };
  let pool: Pool | undefined;
  const onEvent = (event: PoolEvent): void => {
    events.push(event.type);
    if (event.type !== trigger) return;
    void pool?.close(options).then(() => {
      closing.closed = true;
      closing.settledFirst = sending.settled.length === 1;
    });
  };
  pool = createPool({ host: SES_HOST, clock, random: () => 0.5, createClient: server.factory, onEvent });
  const sending = track(pool.send(message(1)));
  return { clock, server, events, closing, sending };
}

describe('close() from a listener while a send is between attempts', () => {
  it.each(['message-deferred', 'retry-scheduled'] as const)(
    'on %s: the send settles with its 451 first, then the pool closes; nothing reconnects',
    async (trigger) => {
      const { clock, server, events, closing, sending } = closeFromListener(trigger);
      await clock.advanceAsync(0);

      expect(sending.settled).toMatchObject([
        {
          ok: false,
          error: { code: ErrorCodes.TRANSIENT_FAILURE, outcome: 'not-sent', retryable: true },
        },
      ]);
      const failed = sending.settled[0];
      if (failed?.ok !== false) throw new Error('expected a failure');
      expect(attemptsOf(failed.error)).toHaveLength(1);
      expect(closing).toEqual({ closed: true, settledFirst: true });
      expect(clock.now()).toBe(0); // not the 5 s back-off

      await clock.advanceAsync(60_000);
      expect(server.clients).toHaveLength(1);
      expect(server.calls).toHaveLength(1);
      expect(events.filter((type) => type === 'connection-opened')).toHaveLength(1);
      expect(events.at(-1)).toBe('pool-closed');
    },
  );

  it('on message-deferred: no retry is counted or announced that will not happen', async () => {
    const { clock, events } = closeFromListener('message-deferred');
    await clock.advanceAsync(0);
    expect(events).not.toContain('retry-scheduled');
  });

  it('with waitForRetries: the retry goes after its back-off, and only then is the pool closed', async () => {
    const { clock, server, events, closing, sending } = closeFromListener('retry-scheduled', {
      waitForRetries: true,
    });
    await clock.advanceAsync(0);
    expect(closing.closed).toBe(false);

    await clock.advanceAsync(60_000);
    expect(sending.settled).toMatchObject([{ ok: true, value: { attempts: [{}, {}] } }]);
    expect(closing).toEqual({ closed: true, settledFirst: true });
    expect(server.calls).toHaveLength(2);
    expect(events.at(-1)).toBe('pool-closed');
  });
});
