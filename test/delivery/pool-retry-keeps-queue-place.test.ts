/**
 * job-queue.ts: the queue is FIFO by arrival, "so a retry goes back to its place" — a send retried
 * at once on a fresh connection goes before the sends queued after it, not behind them.
 */
import { expect, it } from 'vitest';
import { closedError, fail, message, ok, senderOf, setup } from './pool-fakes.js';

it('a send retried at once (free reconnect) goes before the sends that arrived after it', async () => {
  const { pool, server, clock } = setup(
    (call) => (call.index === 1 ? fail(closedError('not-sent', 'mail')) : ok), // died while idle
    { maxConnections: 1 },
  );
  await Promise.all([pool.send(message(0)), clock.advanceAsync(0)]);
  const sends = [1, 2, 3].map((n) => pool.send(message(n)));
  await clock.advanceAsync(0);
  await Promise.all(sends);
  expect(server.froms).toEqual([0, 1, 1, 2, 3].map(senderOf));
});
