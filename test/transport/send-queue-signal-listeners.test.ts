import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { SendRequest } from '../../src/session/types.js';
import { SendQueue } from '../../src/transport/send-queue.js';

const request = {} as SendRequest;
const listeners = (signal: AbortSignal): number => getEventListeners(signal, 'abort').length;

// A queued send watches its signal only while it is queued: a send handed on (to a connection, whose
// session watches the signal from there) or rejected leaves no listener behind on a long-lived signal,
// and an abort then touches no other send.
describe('SendQueue: abort listeners only while queued', () => {
  it('adds none for a send the feed hands on at once', async () => {
    const queue = new SendQueue();
    const controller = new AbortController();
    void queue.enqueue(request, controller.signal, () => queue.shift()?.detach());
    expect(queue.length).toBe(0);
    expect(listeners(controller.signal)).toBe(0);
  });

  it('removes the listener of each send rejectAll rejects', async () => {
    const queue = new SendQueue();
    const controller = new AbortController();
    const sent = queue.enqueue(request, controller.signal, () => {});
    expect(listeners(controller.signal)).toBe(1);
    queue.rejectAll();
    await expect(sent).rejects.toMatchObject({ code: 'SMTP_CLIENT_CLOSED' });
    expect(listeners(controller.signal)).toBe(0);
  });

  it('an abort of a send no longer queued leaves the queued ones alone', async () => {
    const queue = new SendQueue();
    const first = new AbortController();
    void queue.enqueue(request, first.signal, () => {});
    queue.shift(); // taken from the queue without detach: its abort must not remove another send
    const second = queue.enqueue(request, undefined, () => {});
    first.abort();
    expect(queue.length).toBe(1);
    queue.rejectAll();
    await expect(second).rejects.toMatchObject({ code: 'SMTP_CLIENT_CLOSED' });
  });
});
