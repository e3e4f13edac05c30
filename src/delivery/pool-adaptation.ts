/**
 * How the pool adapts to what the server says about load (SES retry guidance, ses-facts.md): the
 * send-rate limiter (slowed by 454 "Maximum sending rate exceeded", one token per recipient by
 * default because SES counts recipients) and the connection count (lowered by 421 "Too many
 * concurrent SMTP connections"), both recovering while sends succeed. Every change is an event.
 *
 * Without a configured `rateLimit`, a 454 still lowers the send rate (ses-facts.md: "back off and
 * lower the send rate"): the pool learns a limit from what it was sending at, the tokens taken in
 * the last second, halves it as a configured one would be, and recovers up to the rate observed.
 */
import type { Clock } from './clock.js';
import type { ConcurrencyChange } from './concurrency-limit.js';
import { ConcurrencyLimit } from './concurrency-limit.js';
import type { PoolEvent } from './pool-events.js';
import type { ResolvedPoolSettings } from './pool-options.js';
import { RateLimiter } from './rate-limiter.js';

/** The window over which the send rate is observed until a limit is configured or learnt. */
const OBSERVED_WINDOW_MS = 1000;
/** Expired entries kept before the observation arrays are compacted (see #observe). */
const COMPACT_AT = 1024;

export class PoolAdaptation {
  #limiter: RateLimiter | undefined;
  readonly #concurrency: ConcurrencyLimit;
  readonly #perMessage: boolean;
  readonly #emit: (event: PoolEvent) => void;
  readonly #clock: Clock;
  /**
   * While there is no limiter: when tokens were taken and how many, oldest first from #head on (the
   * entries before it have left the window). Two number arrays and a moving head, not objects and
   * shift(): shift() on an array that long moves its elements, and at thousands of sends a second
   * the profile put ~12 µs per send there (bench/README.md, thirteenth session).
   */
  readonly #takenAt: number[] = [];
  readonly #takenTokens: number[] = [];
  #head = 0;

  constructor(settings: ResolvedPoolSettings, emit: (event: PoolEvent) => void) {
    const { rateLimit, clock } = settings;
    this.#clock = clock;
    this.#limiter =
      rateLimit === undefined
        ? undefined
        : new RateLimiter({
            ratePerSecond: rateLimit.perSecond,
            clock,
            ...(rateLimit.burst === undefined ? {} : { burst: rateLimit.burst }),
          });
    this.#perMessage = rateLimit?.unit === 'messages';
    this.#concurrency = new ConcurrencyLimit(settings.maxConnections, settings.concurrencyRecoveryMs, clock);
    this.#emit = emit;
  }

  /** Connections (and so transactions) allowed at once now. */
  get concurrency(): number {
    return this.#concurrency.current;
  }

  get currentRate(): number | undefined {
    return this.#limiter?.currentRate;
  }

  /** Waits for send-rate tokens for one transaction to `recipients` recipients (FIFO). */
  async take(recipients: number, signal: AbortSignal): Promise<void> {
    const cost = this.#perMessage ? 1 : recipients;
    if (cost <= 0) return;
    if (this.#limiter) await this.#limiter.take(cost, signal);
    else this.#observe(cost);
  }

  /** 454 maximum sending rate. */
  throttled(): void {
    if (this.#limiter === undefined) {
      const observed = this.#observedRate();
      this.#takenAt.length = 0;
      this.#takenTokens.length = 0;
      this.#head = 0;
      this.#limiter = new RateLimiter({ ratePerSecond: observed, clock: this.#clock });
    }
    this.#rateChange((limiter) => limiter.onThrottled(), 'throttled');
  }

  #observe(tokens: number): void {
    const now = this.#clock.now();
    const at = this.#takenAt;
    at.push(now);
    this.#takenTokens.push(tokens);
    let head = this.#head;
    while ((at[head] ?? now) <= now - OBSERVED_WINDOW_MS) head++;
    // The expired entries go once they are half the arrays: amortized O(1) per send.
    if (head >= COMPACT_AT && head * 2 >= at.length) {
      at.splice(0, head);
      this.#takenTokens.splice(0, head);
      head = 0;
    }
    this.#head = head;
  }

  /** Tokens per second taken in the last window: at least 1, which SES's slowest account allows. */
  #observedRate(): number {
    const since = this.#clock.now() - OBSERVED_WINDOW_MS;
    let tokens = 0;
    for (let i = this.#head; i < this.#takenAt.length; i++) {
      if ((this.#takenAt[i] ?? since) > since) tokens += this.#takenTokens[i] ?? 0;
    }
    return Math.max(1, tokens);
  }

  /** 421 too many connections while `open` connections were alive (the refused one included). */
  tooManyConnections(open: number): void {
    this.#concurrencyChange(this.#concurrency.reduce(open), 'too-many-connections');
  }

  /** A transaction delivered to at least one recipient. */
  delivered(): void {
    this.#rateChange((limiter) => limiter.onSuccess(), 'recovered');
    this.#concurrencyChange(this.#concurrency.onSuccess(), 'recovered');
  }

  #rateChange(change: (limiter: RateLimiter) => void, reason: 'throttled' | 'recovered'): void {
    const limiter = this.#limiter;
    if (!limiter) return;
    const previous = limiter.currentRate;
    change(limiter);
    const current = limiter.currentRate;
    if (current !== previous) this.#emit({ type: 'rate-changed', ratePerSecond: current, previous, reason });
  }

  #concurrencyChange(
    change: ConcurrencyChange | undefined,
    reason: 'too-many-connections' | 'recovered',
  ): void {
    if (!change) return;
    this.#emit({
      type: 'concurrency-changed',
      concurrency: change.current,
      previous: change.previous,
      reason,
    });
  }
}
