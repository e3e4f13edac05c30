/**
 * SES sending quotas for the simulator: a maximum send rate per second and a rolling 24-hour
 * quota, both counted in recipients, not messages (SES Developer Guide, "Sending quotas"). A message
 * with more recipients than one second allows (or any message, at a rate below 1) is not refused for
 * ever — SES allows short bursts (ses-facts.md) — but goes once nothing was sent for as long as its
 * recipients take at that rate.
 */

const SECOND_MS = 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

export type QuotaVerdict = 'ok' | 'daily-quota' | 'rate';

export interface QuotaLimits {
  readonly maxSendRate?: number | undefined;
  readonly dailyQuota?: number | undefined;
}

interface Sending {
  readonly at: number;
  readonly recipients: number;
}

export class SendingQuotas {
  readonly #limits: QuotaLimits;
  readonly #clock: () => number;
  #sendings: Sending[] = [];

  constructor(limits: QuotaLimits, clock: () => number) {
    this.#limits = limits;
    this.#clock = clock;
  }

  /** Recipients sent within the last `windowMs` milliseconds. */
  sentWithin(windowMs: number): number {
    const since = this.#clock() - windowMs;
    let total = 0;
    for (const sending of this.#sendings) if (sending.at > since) total += sending.recipients;
    return total;
  }

  /** Whether a message to `recipients` recipients may go now; the daily quota is checked first. */
  check(recipients: number): QuotaVerdict {
    this.#forget();
    const { dailyQuota, maxSendRate } = this.#limits;
    if (dailyQuota !== undefined && this.sentWithin(DAY_MS) + recipients > dailyQuota) return 'daily-quota';
    if (maxSendRate !== undefined && this.#overRate(recipients, maxSendRate)) return 'rate';
    return 'ok';
  }

  #overRate(recipients: number, maxSendRate: number): boolean {
    if (recipients <= maxSendRate) return this.sentWithin(SECOND_MS) + recipients > maxSendRate;
    return this.sentWithin((SECOND_MS * recipients) / maxSendRate) > 0;
  }

  /** Counts a message that was accepted (refused messages do not use up any quota). */
  record(recipients: number): void {
    this.#sendings.push({ at: this.#clock(), recipients });
  }

  #forget(): void {
    const since = this.#clock() - DAY_MS;
    if (this.#sendings.length > 0 && (this.#sendings[0]?.at ?? since) <= since) {
      this.#sendings = this.#sendings.filter((sending) => sending.at > since);
    }
  }
}
