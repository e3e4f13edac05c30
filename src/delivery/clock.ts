/**
 * The time seam of the delivery layer: everything that waits (retry back-off, rate limiting, pool
 * idle/age checks) asks an injected Clock, so tests drive time with a fake instead of sleeping.
 */

export interface Clock {
  /** Milliseconds on a monotonic scale; only differences are meaningful. */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The real clock: monotonic `performance.now()` (wall-clock jumps must not shorten a back-off). */
export const systemClock: Clock = {
  now: () => globalThis.performance.now(),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as Parameters<typeof globalThis.clearTimeout>[0]),
};
