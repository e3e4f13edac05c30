/**
 * sending-gate.ts: "the first stop wins until resume()". A pool stopped by the daily quota that then
 * meets refused credentials (a send already in flight) stays quota-stopped: one stop event, and the
 * sends waiting for resume() keep waiting rather than fail as for credentials.
 */
import { expect, it } from 'vitest';
import { fail, message, ofType, replyError, SES_HOST, setup, track } from './pool-fakes.js';

it('a credentials refusal after a quota stop changes nothing until resume()', async () => {
  const QUOTA = fail(replyError(454, 'Throttling failure: Daily message quota exceeded.', 'data-end'));
  const REFUSED = fail(replyError(535, 'Authentication Credentials Invalid', 'auth'));
  const { pool, clock, events } = setup(
    (call) =>
      call.index === 0
        ? QUOTA
        : call.index === 1
          ? new Promise((resolve) => clock.setTimeout(() => resolve(REFUSED), 10))
          : { kind: 'ok' },
    { host: SES_HOST, maxConnections: 2, onQuotaExceeded: 'wait' },
  );
  track(pool.send(message(1)));
  track(pool.send(message(2)));
  const waiting = track(pool.send(message(3)));
  await clock.advanceAsync(100);
  expect(ofType(events, 'quota-stopped')).toHaveLength(1);
  expect(ofType(events, 'credentials-refused')).toEqual([]);
  expect(pool.stats()).toMatchObject({ quotaStopped: true, credentialsRefused: false });
  expect(waiting.settled).toEqual([]);
  pool.resume();
  await clock.advanceAsync(0);
  expect(waiting.settled).toMatchObject([{ ok: true }]);
});
