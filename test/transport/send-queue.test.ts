/** The client's queue of sends: a queued send leaves at once when its signal aborts. */
import { describe, expect, it } from 'vitest';
import type { SendRequest } from '../../src/session/types.js';
import { SendQueue } from '../../src/transport/send-queue.js';

const request = {} as SendRequest;

describe('SendQueue', () => {
  it('a send queued while another was being queued (feed re-entered send) still leaves on its abort', async () => {
    const queue = new SendQueue();
    const first = new AbortController();
    let inner: Promise<unknown> | undefined;
    const outer = queue.enqueue(request, first.signal, () => {
      // e.g. a logger that calls send() from inside the client's feed: queued behind the first.
      inner ??= queue.enqueue(request, undefined, () => {}).catch(() => {});
    });
    expect(queue.length).toBe(2);
    first.abort();
    await expect(outer).rejects.toMatchObject({ code: 'SMTP_ABORTED', outcome: 'not-sent' });
    expect(queue.length).toBe(1);
    queue.rejectAll();
    await inner;
  });
});
