/**
 * An abort made from an `onEvent` listener while the pool is between two of its own steps: while it
 * hands a queued send a connection (connection-opened/-recycled/-closed), and between a failed
 * attempt and the next (message-deferred, retry-scheduled, a daily-quota wait). The abort event fires
 * once; the pool must see it there, settle the send at once as ABORTED and keep the rest moving.
 */
import { describe, expect, it } from 'vitest';
import { createPool } from '../../src/delivery/pool.js';
import type { PoolEvent } from '../../src/delivery/pool-events.js';
import { ManualClock } from '../support/manual-clock.js';
import { FakeServer, fail, message, ok, replyError, SES_HOST, sequence, track } from './pool-fakes.js';

describe('a send settled by a listener while the pool hands it a connection', () => {
  it('the send queued behind it still runs (is not left in flight forever)', async () => {
    const clock = new ManualClock(0);
    let releaseFirst!: () => void;
    const server = new FakeServer((call) =>
      call.index === 0 ? new Promise((resolve) => (releaseFirst = () => resolve(ok))) : ok,
    );
    const abortB = new AbortController();
    const onEvent = (event: PoolEvent): void => {
      // e.g. a batch that gives up on one message when a new connection has to be opened
      if (event.type === 'connection-opened' && event.connectionId === 'c2') abortB.abort();
    };
    const pool = createPool({
      host: 'mail.example.test',
      clock,
      random: () => 0.5,
      createClient: server.factory,
      onEvent,
      maxConnections: 1,
      maxMessagesPerConnection: 1,
    });
    const a = track(pool.send(message(1)));
    const b = track(pool.send({ ...message(2), signal: abortB.signal }));
    const c = track(pool.send(message(3)));
    await clock.advanceAsync(0);
    releaseFirst();
    for (let i = 0; i < 5; i++) await clock.advanceAsync(10);

    expect(a.settled).toMatchObject([{ ok: true }]);
    expect(b.settled).toMatchObject([{ ok: false, error: { code: 'SMTP_ABORTED', outcome: 'not-sent' } }]);
    // C must be sent (or at least settle); it is stuck 'in flight' with no attempt
    expect(pool.stats()).toMatchObject({ inFlight: 0, queued: 0 });
    expect(c.settled).toMatchObject([{ ok: true }]);
    let closed = false;
    void pool.close().then(() => (closed = true));
    for (let i = 0; i < 5; i++) await clock.advanceAsync(10);
    expect(closed).toBe(true);
  });
});

describe.each(['message-deferred', 'retry-scheduled'] as const)('abort from a %s listener', (trigger) => {
  it('settles the send at once (ABORTED), without waiting out the back-off or another connection', async () => {
    const clock = new ManualClock(0);
    const server = new FakeServer(sequence(fail(replyError(451, 'Temporary service failure'))));
    const controller = new AbortController();
    const onEvent = (event: PoolEvent): void => {
      if (event.type === trigger) controller.abort(); // "don't retry this one, I'll handle it"
    };
    const pool = createPool({
      host: SES_HOST,
      clock,
      random: () => 0.5,
      createClient: server.factory,
      onEvent,
    });
    const sending = track(pool.send({ ...message(1), signal: controller.signal }));
    await clock.advanceAsync(0);
    await clock.advanceAsync(100); // well inside SES's first 5 s back-off
    expect(sending.settled).toHaveLength(1);
    expect(pool.stats()).toMatchObject({ waitingRetry: 0 });
    await clock.advanceAsync(10_000);
    expect(server.calls).toHaveLength(1); // no second attempt for an aborted send
  });
});

describe('abort from a message-deferred listener of a send waiting for resume() (daily quota, policy wait)', () => {
  it('settles the send at once, not at the next resume()', async () => {
    const clock = new ManualClock(0);
    const server = new FakeServer(
      sequence(fail(replyError(454, 'Throttling failure: Daily message quota exceeded.'))),
    );
    const controller = new AbortController();
    const onEvent = (event: PoolEvent): void => {
      if (event.type === 'message-deferred') controller.abort();
    };
    const pool = createPool({
      host: SES_HOST,
      clock,
      random: () => 0.5,
      createClient: server.factory,
      onEvent,
      onQuotaExceeded: 'wait',
    });
    const sending = track(pool.send({ ...message(1), signal: controller.signal }));
    await clock.advanceAsync(0);
    await clock.advanceAsync(60_000);
    expect(controller.signal.aborted).toBe(true);
    expect(sending.settled).toHaveLength(1); // still pending: it waits for resume()
  });
});
