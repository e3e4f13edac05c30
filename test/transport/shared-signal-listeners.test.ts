/**
 * One AbortSignal shared by many sends (a service's shutdown signal) gets one listener from the
 * library, not one per waiting send: Node warns "Possible EventTarget memory leak detected" past 10.
 * Aborting it still ends every send that watched it, and nothing is left on it afterwards.
 */
import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { createPool } from '../../src/delivery/pool.js';
import { abortedError } from '../../src/delivery/pool-errors.js';
import type { SendRequest } from '../../src/session/types.js';
import { SendQueue } from '../../src/transport/send-queue.js';
import { ManualClock } from '../support/manual-clock.js';

const listeners = (signal: AbortSignal): number => getEventListeners(signal, 'abort').length;

describe('a signal shared by many waiting sends', () => {
  it('the client queue: one listener; an abort rejects every queued send', async () => {
    const queue = new SendQueue();
    const controller = new AbortController();
    const sends = Array.from({ length: 30 }, () =>
      queue.enqueue({} as SendRequest, controller.signal, () => undefined),
    );
    expect(listeners(controller.signal)).toBe(1);
    queue.shift()?.detach(); // one handed on: the others still watch
    expect(listeners(controller.signal)).toBe(1);
    controller.abort();
    const settled = await Promise.allSettled(sends.slice(1));
    expect(settled.every((s) => s.status === 'rejected')).toBe(true);
    expect(queue.length).toBe(0);
    expect(listeners(controller.signal)).toBe(0);
  });

  it('the client queue: the listener goes once no queued send watches', () => {
    const queue = new SendQueue();
    const controller = new AbortController();
    for (let i = 0; i < 12; i++) void queue.enqueue({} as SendRequest, controller.signal, () => undefined);
    while (queue.length > 0) queue.shift()?.detach();
    expect(listeners(controller.signal)).toBe(0);
  });

  it('the pool: one listener for 30 sends; an abort ends all; none left after', async () => {
    const clock = new ManualClock(0);
    const controller = new AbortController();
    const pool = createPool({
      host: 'mail.example.test',
      clock,
      maxQueue: 100,
      createClient: () =>
        ({
          // Never answers: the sends wait, the one in flight until its signal aborts.
          send: (request: { signal?: AbortSignal }) =>
            new Promise((_, reject) => {
              request.signal?.addEventListener('abort', () => reject(abortedError('test')));
            }),
          close: async () => undefined,
          destroy: () => undefined,
        }) as never,
    });
    const sends = Array.from({ length: 30 }, (_, n) =>
      pool
        .send({ from: 'a@example.test', to: `r${n}@example.test`, message: 'x', signal: controller.signal })
        .then(
          () => 'delivered',
          () => 'rejected',
        ),
    );
    await clock.advanceAsync(0);
    expect(listeners(controller.signal)).toBe(1);
    controller.abort();
    await clock.advanceAsync(2_000);
    expect(await Promise.all(sends)).toEqual(sends.map(() => 'rejected'));
    expect(listeners(controller.signal)).toBe(0);
    await Promise.all([pool.close({ deadlineMs: 0 }), clock.advanceAsync(2_000)]);
  });
});
