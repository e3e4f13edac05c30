/**
 * Token-bucket send-rate limiter with AIMD adaptation (SES counts recipients, so callers take one
 * token per recipient). Time comes from an injected Clock; waiters are served strictly FIFO.
 *
 * Requests larger than `burst` are granted when the bucket is full and leave it in debt (negative
 * tokens) that later requests wait out: the long-run rate holds and such a request cannot starve.
 */
import { ErrorCodes } from '../errors/codes.js';
import { SmtpError, SmtpUsageError } from '../errors/smtp-error.js';
import { MAX_TIMER_MS } from '../protocol/limits.js';
import { type Clock, systemClock } from './clock.js';

export interface RateLimiterOptions {
  /** Tokens per second, and the ceiling adaptive recovery climbs back to. */
  readonly ratePerSecond: number;
  /** Bucket size: the most tokens granted at one instant (default: one second's worth, at least 1). */
  readonly burst?: number | undefined;
  readonly clock?: Clock | undefined;
  /** Floor for onThrottled() (default ratePerSecond / 16). */
  readonly minRate?: number | undefined;
  /** Multiplier applied by onThrottled() (default 0.5). */
  readonly decreaseFactor?: number | undefined;
  /** Rate added per onSuccess() (default ratePerSecond / 50). */
  readonly increaseStep?: number | undefined;
  /** onThrottled() calls closer together than this count as one event (default 1000 ms). */
  readonly throttleCooldownMs?: number | undefined;
}

interface Waiter {
  readonly n: number;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
}

// Float refills land a hair under the target after a ceil'd wait; this keeps that from costing a timer.
const EPSILON = 1e-6;
const MS_EPSILON = 1e-6;

export class RateLimiter {
  readonly #clock: Clock;
  readonly #burst: number;
  readonly #decreaseFactor: number;
  readonly #throttleCooldownMs: number;
  #maxRate: number;
  #minRate: number;
  #increaseStep: number;
  #rate: number;
  #tokens: number;
  #last: number;
  #lastThrottle = Number.NEGATIVE_INFINITY;
  #queue: Waiter[] = [];
  #timer: unknown;

  constructor(options: RateLimiterOptions) {
    const rate = positive(options.ratePerSecond, 'ratePerSecond');
    this.#clock = options.clock ?? systemClock;
    this.#burst = positive(options.burst ?? Math.max(1, rate), 'burst');
    this.#decreaseFactor = options.decreaseFactor ?? 0.5;
    if (!(this.#decreaseFactor > 0 && this.#decreaseFactor < 1))
      throw usage('decreaseFactor', 'a number between 0 and 1');
    this.#throttleCooldownMs = options.throttleCooldownMs ?? 1000;
    this.#maxRate = rate;
    this.#rate = rate;
    this.#minRate = Math.min(rate, positive(options.minRate ?? rate / 16, 'minRate'));
    this.#increaseStep = positive(options.increaseStep ?? rate / 50, 'increaseStep');
    this.#tokens = this.#burst;
    this.#last = this.#clock.now();
  }

  get currentRate(): number {
    return this.#rate;
  }

  get burst(): number {
    return this.#burst;
  }

  /** Tokens available now (negative while in debt). */
  get tokens(): number {
    this.#refill();
    return this.#tokens;
  }

  /** Callers blocked in take(). */
  get waiting(): number {
    return this.#queue.length;
  }

  /**
   * Takes `n` tokens now and returns 0, or takes nothing and returns the ms until they would be
   * granted (behind everyone already waiting: tryTake never jumps the queue).
   */
  tryTake(n = 1): number {
    count(n);
    this.#refill();
    if (this.#queue.length === 0 && this.#grantable(n)) {
      this.#tokens -= n;
      return 0;
    }
    return Math.max(1, ceilMs(this.#waitFor([...this.#queue.map((w) => w.n), n])));
  }

  /** Resolves once `n` tokens are taken, in FIFO order; rejects with SMTP_ABORTED if `signal` aborts first. */
  take(n = 1, signal?: AbortSignal): Promise<void> {
    count(n);
    if (signal?.aborted) return Promise.reject(aborted(signal));
    if (this.tryTake(n) === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { n, resolve, reject, signal, onAbort: () => this.#abort(waiter) };
      signal?.addEventListener('abort', waiter.onAbort, { once: true });
      this.#queue.push(waiter);
      if (this.#queue.length === 1) this.#schedule();
    });
  }

  /** Sets the configured (maximum) rate and the current rate. */
  setRate(ratePerSecond: number): void {
    const rate = positive(ratePerSecond, 'ratePerSecond');
    this.#refill();
    this.#maxRate = rate;
    this.#rate = rate;
    this.#minRate = Math.min(this.#minRate, rate);
    this.#schedule();
  }

  /**
   * The server said we are too fast (SES 454 "Maximum sending rate exceeded"): halve the rate (not
   * below minRate) and empty the bucket. Parallel sends report one congestion event together, so
   * calls within the cooldown count once.
   */
  onThrottled(): void {
    const now = this.#clock.now();
    if (now - this.#lastThrottle < this.#throttleCooldownMs) return;
    this.#lastThrottle = now;
    this.#refill();
    this.#rate = Math.max(this.#minRate, this.#rate * this.#decreaseFactor);
    this.#tokens = Math.min(this.#tokens, 0);
    this.#schedule();
  }

  /** A send went through: climb back toward the configured rate by one additive step. */
  onSuccess(): void {
    if (this.#rate >= this.#maxRate) return;
    this.#refill();
    this.#rate = Math.min(this.#maxRate, this.#rate + this.#increaseStep);
    this.#schedule();
  }

  #grantable(n: number): boolean {
    return this.#tokens + EPSILON >= Math.min(n, this.#burst);
  }

  /** Ms until the last of `sizes` would be granted if served in order from the current bucket. */
  #waitFor(sizes: readonly number[]): number {
    let tokens = this.#tokens;
    let seconds = 0;
    for (const n of sizes) {
      const need = Math.min(n, this.#burst);
      if (tokens + EPSILON < need) {
        seconds += (need - tokens) / this.#rate;
        tokens = need;
      }
      tokens -= n;
    }
    return seconds * 1000;
  }

  #refill(): void {
    const now = this.#clock.now();
    const elapsed = Math.max(0, now - this.#last);
    this.#last = now;
    this.#tokens = Math.min(this.#burst, this.#tokens + (elapsed * this.#rate) / 1000);
  }

  #drain(): void {
    this.#timer = undefined;
    this.#refill();
    for (let head = this.#queue[0]; head && this.#grantable(head.n); head = this.#queue[0]) {
      this.#queue.shift();
      this.#tokens -= head.n;
      head.signal?.removeEventListener('abort', head.onAbort);
      head.resolve();
    }
    this.#schedule();
  }

  #schedule(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    const head = this.#queue[0];
    if (!head) return;
    this.#refill();
    // A tiny rate (or a large debt) can need more than a timer holds; Node would fire such a timer
    // at once, every millisecond. The longest one is armed instead and #drain waits again.
    // At least 1 ms: a head the grant check refuses, with a wait that rounds to 0, would be woken
    // again and again on a clock that has not moved (nothing earned), as tryTake's waits are.
    const ms = Math.min(MAX_TIMER_MS, Math.max(1, ceilMs(this.#waitFor([head.n]))));
    this.#timer = this.#clock.setTimeout(() => this.#drain(), ms);
  }

  #abort(waiter: Waiter): void {
    const index = this.#queue.indexOf(waiter);
    if (index < 0) return;
    this.#queue.splice(index, 1);
    waiter.reject(aborted(waiter.signal));
    // The head may have changed (or a smaller one may now be grantable): recompute.
    if (index === 0) this.#schedule();
  }
}

/** Whole ms, ignoring float noise: 1.0000000000000009 ms is 1 ms, not 2. */
function ceilMs(ms: number): number {
  return Math.max(0, Math.ceil(ms - MS_EPSILON));
}

function positive(value: number, field: string): number {
  if (!(Number.isFinite(value) && value > 0)) throw usage(field, 'a positive finite number');
  return value;
}

function count(n: number): void {
  if (!(Number.isFinite(n) && n >= 0)) throw usage('n', 'a finite number of tokens, 0 or more');
}

function usage(field: string, rule: string): SmtpUsageError {
  return new SmtpUsageError({
    code: ErrorCodes.INVALID_ARGUMENT,
    message: `Rate limiter "${field}" must be ${rule}`,
    field,
  });
}

function aborted(signal: AbortSignal | undefined): SmtpError {
  return new SmtpError({
    code: ErrorCodes.ABORTED,
    origin: 'local',
    outcome: 'not-sent',
    message: 'Waiting for the send rate was aborted',
    cause: signal?.reason,
  });
}
