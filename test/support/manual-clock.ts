/**
 * A deterministic fake Clock for tests: time moves only when a test calls advance(), and due timers
 * fire in (due time, scheduling order). No real timers and no randomness, so every run replays.
 */
import type { Clock } from '../../src/delivery/clock.js';

interface Timer {
  readonly id: number;
  readonly due: number;
  readonly fn: () => void;
}

export class ManualClock implements Clock {
  #now: number;
  #nextId = 1;
  #timers: Timer[] = [];

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
    const timer: Timer = { id: this.#nextId++, due: this.#now + delay, fn };
    this.#timers.push(timer);
    return timer.id;
  }

  clearTimeout(handle: unknown): void {
    this.#timers = this.#timers.filter((timer) => timer.id !== handle);
  }

  /** Timers scheduled and not yet fired or cleared. */
  get pending(): number {
    return this.#timers.length;
  }

  /** Due time of the earliest pending timer, or undefined. */
  get nextDue(): number | undefined {
    return this.#earliest()?.due;
  }

  /**
   * Moves time forward by `ms`, firing every timer due within the window in order; `now()` reads
   * each timer's due time while it runs. Timers scheduled by callbacks fire too if due in the window.
   */
  advance(ms: number): void {
    const target = this.#now + Math.max(0, ms);
    for (let timer = this.#popDue(target); timer; timer = this.#popDue(target)) {
      this.#now = timer.due;
      timer.fn();
    }
    this.#now = target;
  }

  /** Like advance(), but lets promise callbacks run after each timer (at that timer's time). */
  async advanceAsync(ms: number): Promise<void> {
    const target = this.#now + Math.max(0, ms);
    await flushPromises();
    for (let timer = this.#popDue(target); timer; timer = this.#popDue(target)) {
      this.#now = timer.due;
      timer.fn();
      await flushPromises();
    }
    this.#now = target;
  }

  /** Moves to an absolute time (no-op if it is in the past). */
  advanceTo(time: number): void {
    this.advance(time - this.#now);
  }

  async advanceToAsync(time: number): Promise<void> {
    await this.advanceAsync(time - this.#now);
  }

  #earliest(): Timer | undefined {
    let best: Timer | undefined;
    for (const timer of this.#timers) {
      if (!best || timer.due < best.due || (timer.due === best.due && timer.id < best.id)) best = timer;
    }
    return best;
  }

  #popDue(target: number): Timer | undefined {
    const timer = this.#earliest();
    if (!timer || timer.due > target) return undefined;
    this.#timers = this.#timers.filter((t) => t !== timer);
    return timer;
  }
}

/** Drains the microtask queue (a macrotask turn runs after every queued promise callback). */
export function flushPromises(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
