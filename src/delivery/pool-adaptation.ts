/**
 * How the pool adapts to what the server says about load (SES retry guidance, ses-facts.md): the
 * send-rate limiter (slowed by 454 "Maximum sending rate exceeded", one token per recipient by
 * default because SES counts recipients) and the connection count (lowered by 421 "Too many
 * concurrent SMTP connections"), both recovering while sends succeed. Every change is an event.
 */
import type { ConcurrencyChange } from './concurrency-limit.js';
import { ConcurrencyLimit } from './concurrency-limit.js';
import type { PoolEvent } from './pool-events.js';
import type { ResolvedPoolSettings } from './pool-options.js';
import { RateLimiter } from './rate-limiter.js';

export class PoolAdaptation {
  readonly #limiter: RateLimiter | undefined;
  readonly #concurrency: ConcurrencyLimit;
  readonly #perMessage: boolean;
  readonly #emit: (event: PoolEvent) => void;

  constructor(settings: ResolvedPoolSettings, emit: (event: PoolEvent) => void) {
    const { rateLimit, clock } = settings;
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
    if (this.#limiter && cost > 0) await this.#limiter.take(cost, signal);
  }

  /** 454 maximum sending rate. */
  throttled(): void {
    this.#rateChange((limiter) => limiter.onThrottled(), 'throttled');
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
