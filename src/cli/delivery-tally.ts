/**
 * What the pool reported while the CLI delivered: its events (pool-events.ts) folded into counts
 * for the progress bar and the summary: retries by cause and by code, send-rate changes (SES 454
 * throttling), connection-count changes (SES 421 too many connections), connections opened and recycled.
 */
import type { PoolEvent } from '../delivery/pool-events.js';

export interface RateTrace {
  /** The configured rate (recipients/s). */
  readonly start: number;
  readonly current: number;
  readonly lowest: number;
}

export interface TallySnapshot {
  readonly done: number;
  readonly delivered: number;
  readonly retries: number;
  /** By the pool's cause: 'retry', 'slow-down', 'reconnect', 'reduce-connections', 'recipients', ... */
  readonly retriesByCause: Readonly<Record<string, number>>;
  /** By the error code of the failure that was retried (e.g. SMTP_THROTTLED). */
  readonly retriesByCode: Readonly<Record<string, number>>;
  /** Times the pool lowered its send rate after throttling ('rate-changed', reason 'throttled'). */
  readonly rateLowered: number;
  readonly rate: RateTrace | undefined;
  /** Times the pool lowered its connection count after 421 too many connections. */
  readonly concurrencyLowered: number;
  readonly connections: {
    readonly opened: number;
    /** Replaced by the pool before reuse, by reason ('max-messages', 'max-age', 'stale'). */
    readonly recycled: Readonly<Record<string, number>>;
    /** Closed, by reason ('broken' = the server ended it, e.g. 421 session cap). */
    readonly closed: Readonly<Record<string, number>>;
  };
  /** The pool stopped sending (daily quota, refused credentials). */
  readonly stopped: readonly string[];
}

const bump = (record: Record<string, number>, key: string): void => {
  record[key] = (record[key] ?? 0) + 1;
};

export class DeliveryTally {
  #done = 0;
  #delivered = 0;
  #retries = 0;
  readonly #byCause: Record<string, number> = {};
  readonly #byCode: Record<string, number> = {};
  #rateLowered = 0;
  #rate: RateTrace | undefined;
  #concurrencyLowered = 0;
  #opened = 0;
  readonly #recycled: Record<string, number> = {};
  readonly #closed: Record<string, number> = {};
  readonly #stopped: string[] = [];

  constructor(ratePerSecond?: number) {
    if (ratePerSecond !== undefined)
      this.#rate = { start: ratePerSecond, current: ratePerSecond, lowest: ratePerSecond };
  }

  /** Messages settled so far. */
  get done(): number {
    return this.#done;
  }

  observe(event: PoolEvent): void {
    switch (event.type) {
      case 'message-accepted':
        this.#done += 1;
        this.#delivered += 1;
        return;
      case 'message-rejected':
        this.#done += 1;
        return;
      case 'retry-scheduled':
        this.#retries += 1;
        bump(this.#byCause, event.cause);
        bump(this.#byCode, String(event.code));
        return;
      case 'rate-changed':
        if (event.reason === 'throttled') this.#rateLowered += 1;
        this.#traceRate(event.previous, event.ratePerSecond);
        return;
      case 'concurrency-changed':
        if (event.reason === 'too-many-connections') this.#concurrencyLowered += 1;
        return;
      case 'connection-opened':
        this.#opened += 1;
        return;
      case 'connection-recycled':
        bump(this.#recycled, event.reason);
        return;
      case 'connection-closed':
        bump(this.#closed, event.reason);
        return;
      case 'quota-stopped':
        this.#stopped.push(`daily quota (${event.code})`);
        return;
      default:
        if ((event as { type: string }).type === 'credentials-refused') {
          this.#stopped.push(`credentials refused (${(event as { code?: unknown }).code})`);
        }
    }
  }

  snapshot(): TallySnapshot {
    return {
      done: this.#done,
      delivered: this.#delivered,
      retries: this.#retries,
      retriesByCause: { ...this.#byCause },
      retriesByCode: { ...this.#byCode },
      rateLowered: this.#rateLowered,
      rate: this.#rate,
      concurrencyLowered: this.#concurrencyLowered,
      connections: { opened: this.#opened, recycled: { ...this.#recycled }, closed: { ...this.#closed } },
      stopped: [...this.#stopped],
    };
  }

  /** One line for the progress bar. */
  status(): string {
    const pace = this.#rate === undefined ? '' : `  pace ${this.#rate.current.toFixed(0)}/s`;
    return (
      `delivered ${this.#delivered}  retries ${this.#retries}  throttled ${this.#byCause['slow-down'] ?? 0}` +
      `  conns ${this.#opened}${pace}`
    );
  }

  #traceRate(previous: number, current: number): void {
    const start = this.#rate?.start ?? previous;
    const lowest = Math.min(this.#rate?.lowest ?? previous, current);
    this.#rate = { start, current, lowest };
  }
}
