/**
 * How many connections the pool allows itself now. SES answers `421 Too many concurrent SMTP
 * connections` when an account holds too many: drop below what was open when it said so, then
 * win connections back one at a time while sends keep succeeding (ses-facts.md, retry guidance).
 */
import type { Clock } from './clock.js';

export interface ConcurrencyChange {
  readonly previous: number;
  readonly current: number;
}

export class ConcurrencyLimit {
  readonly #max: number;
  readonly #recoveryMs: number;
  readonly #clock: Clock;
  #current: number;
  #lastChange = Number.NEGATIVE_INFINITY;

  constructor(max: number, recoveryMs: number, clock: Clock) {
    this.#max = max;
    this.#current = max;
    this.#recoveryMs = recoveryMs;
    this.#clock = clock;
  }

  get current(): number {
    return this.#current;
  }

  get max(): number {
    return this.#max;
  }

  /**
   * The server refused a connection while `open` were alive (the refused one included): allow one
   * fewer than that, never more than before minus one, never below 1. Restarts the recovery wait.
   */
  reduce(open: number): ConcurrencyChange | undefined {
    this.#lastChange = this.#clock.now();
    const next = Math.max(1, Math.min(this.#current - 1, open - 1));
    return this.#set(next);
  }

  /** A send succeeded: after a quiet recovery period since the last change, allow one more. */
  onSuccess(): ConcurrencyChange | undefined {
    if (this.#current >= this.#max) return undefined;
    const now = this.#clock.now();
    if (now - this.#lastChange < this.#recoveryMs) return undefined;
    this.#lastChange = now;
    return this.#set(this.#current + 1);
  }

  #set(next: number): ConcurrencyChange | undefined {
    if (next === this.#current) return undefined;
    const previous = this.#current;
    this.#current = next;
    return { previous, current: next };
  }
}
