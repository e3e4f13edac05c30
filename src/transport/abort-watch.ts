/**
 * Many waiting sends watching one AbortSignal through one listener on it. A signal shared by many
 * sends (a service's shutdown signal) would otherwise carry a listener per queued send, and Node
 * warns ("Possible EventTarget memory leak detected") past 10 listeners.
 */

interface Watch {
  readonly callbacks: Set<() => void>;
  readonly listener: () => void;
}

const watches = new WeakMap<AbortSignal, Watch>();

/**
 * Calls `callback` once when `signal` aborts, in the order the watches began; returns what stops
 * this watch (idempotent). The signal's one listener goes when its last watch stops. All of a
 * signal's watches run where the first one's listener stands among the signal's other listeners.
 */
export function watchAbort(signal: AbortSignal, callback: () => void): () => void {
  const watch = watches.get(signal) ?? startWatching(signal);
  const entry = (): void => callback(); // its own identity: one callback may watch twice
  watch.callbacks.add(entry);
  return () => {
    if (!watch.callbacks.delete(entry) || watch.callbacks.size > 0) return;
    if (watches.get(signal) === watch) watches.delete(signal);
    signal.removeEventListener('abort', watch.listener);
  };
}

function startWatching(signal: AbortSignal): Watch {
  const callbacks = new Set<() => void>();
  const listener = (): void => {
    watches.delete(signal);
    for (const callback of [...callbacks]) {
      if (!callbacks.delete(callback)) continue; // stopped by an earlier callback of this abort
      try {
        callback();
      } catch (error) {
        // As a listener of its own would: the others still run, the error is reported.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  };
  const watch = { callbacks, listener };
  watches.set(signal, watch);
  signal.addEventListener('abort', listener, { once: true });
  return watch;
}

/**
 * A signal that aborts (with the same reason) when the first of `signals` does, and `stop` to let
 * go of them — `AbortSignal.any` without its Node 20 leak (it keeps a reference in each source for
 * good: one per connection opened for a send with a signal, on the client's lifelong signal).
 * Unlike AbortSignal.any it aborts during the source's dispatch, where its watch stands, not after
 * all of the source's listeners: one listening after it sees it aborted already.
 */
export function anySignal(signals: readonly AbortSignal[]): { signal: AbortSignal; stop: () => void } {
  const controller = new AbortController();
  const aborted = signals.find((signal) => signal.aborted);
  if (aborted !== undefined) {
    controller.abort(aborted.reason);
    return { signal: controller.signal, stop: () => {} };
  }
  const stops = signals.map((source) =>
    watchAbort(source, () => {
      if (!controller.signal.aborted) controller.abort(source.reason);
    }),
  );
  return {
    signal: controller.signal,
    stop: () => {
      for (const stop of stops) stop();
    },
  };
}
