/** abort-watch.ts: one listener per signal; once, in order; a watch stopped mid-dispatch is not called. */
import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { anySignal, watchAbort } from '../../src/transport/abort-watch.js';

const listeners = (signal: AbortSignal): number => getEventListeners(signal, 'abort').length;

describe('watchAbort', () => {
  it('calls each watch once, in order, through one listener; none is left after', () => {
    const controller = new AbortController();
    const calls: string[] = [];
    const same = () => calls.push('same');
    watchAbort(controller.signal, () => calls.push('a'));
    watchAbort(controller.signal, same);
    watchAbort(controller.signal, same); // the same callback twice: two watches
    watchAbort(controller.signal, () => calls.push('b'));
    expect(listeners(controller.signal)).toBe(1);
    controller.abort();
    controller.signal.dispatchEvent(new Event('abort'));
    expect(calls).toEqual(['a', 'same', 'same', 'b']);
    expect(listeners(controller.signal)).toBe(0);
  });

  it('a stopped watch is not called, also when an earlier callback stops it during the abort', () => {
    const controller = new AbortController();
    const calls: string[] = [];
    const stopB = { stop: () => {} };
    watchAbort(controller.signal, () => {
      calls.push('a');
      stopB.stop();
    });
    stopB.stop = watchAbort(controller.signal, () => calls.push('b'));
    const stopC = watchAbort(controller.signal, () => calls.push('c'));
    stopC();
    stopC(); // idempotent
    controller.abort();
    expect(calls).toEqual(['a']);
  });

  it('the listener goes when the last watch stops, and a new watch adds it again', () => {
    const controller = new AbortController();
    const stops = [watchAbort(controller.signal, () => {}), watchAbort(controller.signal, () => {})];
    for (const stop of stops) stop();
    expect(listeners(controller.signal)).toBe(0);
    let called = false;
    watchAbort(controller.signal, () => {
      called = true;
    });
    expect(listeners(controller.signal)).toBe(1);
    controller.abort();
    expect(called).toBe(true);
  });

  it('a throwing callback does not stop the others; its error is reported', async () => {
    const controller = new AbortController();
    const reported: unknown[] = [];
    const onError = (error: unknown) => reported.push(error);
    process.prependListener('uncaughtException', onError);
    const original = process.listeners('uncaughtException').filter((l) => l !== onError);
    for (const l of original) process.removeListener('uncaughtException', l);
    try {
      let second = false;
      watchAbort(controller.signal, () => {
        throw new Error('boom');
      });
      watchAbort(controller.signal, () => {
        second = true;
      });
      controller.abort();
      expect(second).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 0));
      expect(reported).toEqual([expect.objectContaining({ message: 'boom' })]);
    } finally {
      process.removeListener('uncaughtException', onError);
      for (const l of original) process.on('uncaughtException', l);
    }
  });
});

describe('anySignal', () => {
  it('aborts with the reason of the first source to abort; stop() leaves nothing on the sources', () => {
    const a = new AbortController();
    const b = new AbortController();
    const either = anySignal([a.signal, b.signal]);
    expect([listeners(a.signal), listeners(b.signal)]).toEqual([1, 1]);
    b.abort('b first');
    a.abort('a later');
    expect(either.signal.aborted).toBe(true);
    expect(either.signal.reason).toBe('b first');
    either.stop();
    const lifelong = new AbortController();
    for (let i = 0; i < 50; i++) anySignal([new AbortController().signal, lifelong.signal]).stop();
    expect(listeners(lifelong.signal)).toBe(0);
  });

  it('a source already aborted: aborted at once, with its reason', () => {
    const a = new AbortController();
    a.abort('gone');
    const either = anySignal([new AbortController().signal, a.signal]);
    expect([either.signal.aborted, either.signal.reason]).toEqual([true, 'gone']);
    either.stop();
  });
});
