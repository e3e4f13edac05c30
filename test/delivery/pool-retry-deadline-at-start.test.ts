/**
 * RetrySchedule.deadlineMs: "No attempt starts later than this many ms after the first one". The
 * back-off is checked against it when the retry is decided; the wait for a connection (or for
 * send-rate tokens) after the back-off can take longer, and the attempt must not start then.
 */
import { describe, expect, it } from 'vitest';
import { attemptsOf } from '../../src/delivery/attempt-history.js';
import { type Call, fail, message, ok, replyError, setup } from './pool-fakes.js';

/**
 * One connection, retries 1 s apart within 1.5 s: the first call fails 451 after 100 ms, call `i`
 * after it succeeds after `busyMs(i)`.
 */
function poolRetryingA451(busyMs: (index: number) => number) {
  const harness = setup(undefined, {
    maxConnections: 1,
    retry: { delaysMs: [1_000], repeatLast: true, deadlineMs: 1_500 },
  });
  harness.server.script = (call: Call) =>
    new Promise((resolve) =>
      harness.clock.setTimeout(
        () => resolve(call.index === 0 ? fail(replyError(451, '4.3.0 Local problem', 'data-end')) : ok),
        call.index === 0 ? 100 : busyMs(call.index),
      ),
    );
  return harness;
}

describe('the retry deadline, when the attempt would start', () => {
  it('a retry whose connection frees only after the deadline fails with its last failure, unsent again', async () => {
    // The second send holds the only connection for 10 s: past A's retry deadline.
    const { pool, clock, server } = poolRetryingA451(() => 10_000);
    const a = pool.send(message(0)).then(
      () => undefined,
      (error: unknown) => error,
    );
    await clock.advanceAsync(50);
    const b = pool.send(message(1));
    await clock.advanceAsync(20_000);
    await b;
    const error = await a;
    expect(server.calls.filter((call) => call.request.from === message(0).from)).toHaveLength(1);
    // The 451 it last failed with, after its one attempt.
    expect(error).toMatchObject({ outcome: 'not-sent', reply: { code: 451 } });
    expect(attemptsOf(error)).toHaveLength(1);
  });

  it('a retry that gets its connection in time still goes', async () => {
    const { pool, clock, server } = poolRetryingA451(() => 100);
    const a = pool.send(message(0));
    await clock.advanceAsync(5_000);
    await expect(a).resolves.toBeDefined();
    expect(server.calls).toHaveLength(2);
  });
});
