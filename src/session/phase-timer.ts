/**
 * The session's one timer (RFC 5321 §4.5.3.2). The machine says which timeout applies: each waiting
 * state arms its own on entry (`armTimer`, with the configured ms) and `ready` disarms it; this runs
 * it on a clock and reports the expiry, which the machine hears as `timer.expired` in the state that
 * armed it. A restart with the same duration refreshes Node's timer in place (`Timeout.refresh()`)
 * instead of allocating a new one: in steady state every message restarts the DATA-termination timer.
 *
 * Node's timers run out between events. Only a synchronous clock (a test's, advanced by the owner
 * from one of its callbacks) can run out while the facade is `busy` — a machine step running (the
 * runner would queue the event behind whatever that step leads to), a read being taken (its replies were
 * there first), the owner acting ahead of a read. Then the expiry is due: `flushDue()`, called when
 * that ends, reports it unless what ran re-armed or disarmed the timer (the state was left).
 */
import type { Clock } from './types.js';

/** The global timers (Node's, whose handles have `refresh()`): what xstate itself uses when no clock is given. */
const GLOBAL_TIMERS: Clock = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as Parameters<typeof globalThis.clearTimeout>[0]),
};

interface Refreshable {
  refresh(): unknown;
}

export class PhaseTimer {
  readonly #clock: Clock;
  /** Only the global timers' handles are refreshed: another clock's handle is opaque. */
  readonly #refreshable: boolean;
  readonly #expired: () => void;
  readonly #busy: () => boolean;
  #handle: unknown;
  #ms = 0;
  #fired = false;
  /** It ran out while busy: reported by flushDue, if still current. */
  #due = false;
  /** Which arm is current: a callback of an earlier one (a clock that did not clear it) does nothing. */
  #generation = 0;

  /** `expired` runs at most once per arm that was neither replaced nor disarmed. */
  constructor(clock: Clock | undefined, expired: () => void, busy: () => boolean = () => false) {
    this.#clock = clock ?? GLOBAL_TIMERS;
    this.#refreshable = clock === undefined;
    this.#expired = expired;
    this.#busy = busy;
  }

  /** Runs out `ms` from now, unless armed again or disarmed first. */
  arm(ms: number): void {
    this.#fired = false;
    const handle = this.#handle;
    if (handle !== undefined) {
      if (ms === this.#ms && this.#refreshable && typeof (handle as Refreshable).refresh === 'function') {
        (handle as Refreshable).refresh();
        return;
      }
      this.#handle = undefined;
    }
    const generation = ++this.#generation;
    if (handle !== undefined) this.#clock.clearTimeout(handle);
    this.#ms = ms;
    this.#handle = this.#clock.setTimeout(() => this.#fire(generation), ms);
  }

  disarm(): void {
    this.#fired = false;
    this.#generation++;
    const handle = this.#handle;
    if (handle === undefined) return;
    this.#handle = undefined;
    this.#clock.clearTimeout(handle);
  }

  /** Whether the last arm ran out and nothing armed or disarmed since. */
  get expired(): boolean {
    return this.#fired;
  }

  /** When what kept the facade busy has ended: a due expiry is reported, unless it went stale. */
  flushDue(): void {
    if (!this.#due || this.#busy()) return;
    this.#due = false;
    if (this.#fired) this.#expired();
  }

  #fire(generation: number): void {
    if (generation !== this.#generation) return;
    this.#handle = undefined;
    this.#fired = true;
    if (this.#busy()) this.#due = true;
    else this.#expired();
  }
}
