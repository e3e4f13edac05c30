/**
 * A caller's abort while the pool swaps a stale connection for a fresh one: the send settles
 * SMTP_ABORTED not-sent at once, without waiting for the old connection's QUIT; that connection
 * still counts against maxConnections until its close really ends.
 */
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors/codes.js';
import { message, setup, track } from './pool-fakes.js';

describe('caller abort during a connection swap', () => {
  it('settles the send at once; no connection opens before the old one has closed', async () => {
    const { pool, server, clock } = setup(undefined, {
      maxConnections: 1,
      maxConnectionAgeMs: 500,
      rateLimit: { perSecond: 1, unit: 'messages' },
    });
    await Promise.all([pool.send(message(1)), clock.advanceAsync(0)]); // c1 idle, no token left
    let endQuit = (): void => undefined;
    server.closeDelay = () =>
      new Promise<void>((resolve) => {
        endQuit = resolve;
      });
    const controller = new AbortController();
    const aborted = track(pool.send({ ...message(2), signal: controller.signal }));
    await clock.advanceAsync(1_000); // its token came; c1, now 1 s old, is recycled: QUIT pending
    expect(server.clients[0]?.closeCalls).toBe(1);
    expect(aborted.settled).toEqual([]);

    controller.abort(new Error('caller gave up'));
    await clock.advanceAsync(0);
    expect(aborted.settled).toMatchObject([
      { ok: false, error: { code: ErrorCodes.ABORTED, outcome: 'not-sent' } },
    ]);

    const next = track(pool.send(message(3)));
    await clock.advanceAsync(60_000);
    expect(server.clients).toHaveLength(1); // c1 still QUITting holds the only connection
    expect(next.settled).toEqual([]);
    endQuit();
    await clock.advanceAsync(0);
    expect(next.settled).toMatchObject([{ ok: true }]);
    expect(server.clients).toHaveLength(2);
    expect(server.peakAlive).toBe(1);
    expect(server.calls.map((call) => call.request.from)).toEqual([message(1).from, message(3).from]);
  });
});
