/**
 * The pool's connections: each slot holds one client and runs one transaction at a time (RFC 5321
 * §3.3: one mail transaction per session at a time), except that when every connection the pool may
 * open is in use, a client that pipelines (RFC 2920, `ClientLike.pipelining`) shares: it is given up
 * to MAX_SENDS_PER_CONNECTION sends, so that the next envelope rides behind each dot (one round trip
 * per message, as on a single createClient). Slots are checked before reuse and recycled after a
 * message count or an age (SES sits behind a load balancer that retires hosts), and closed after
 * idling below the server's idle limit (SES closes after ~10 s: ses-facts.md). A slot that breaks or
 * goes stale while other sends are still on it takes no more and closes when the last one ends.
 */
import type { Clock } from './clock.js';
import { clientCreationError } from './pool-errors.js';
import type { CloseReason, PoolEvent, RecycleReason } from './pool-events.js';
import type { ClientLike } from './pool-options.js';

/**
 * Sends a pipelining connection holds at once: its session keeps one transaction in flight and the
 * next one's envelope behind the dot (RFC 2920 §3.1), and a third waits in the client so that it is
 * there when the read that makes room comes and rides in that read's step (with only two, the next
 * send is created after the settlement and leaves in a write of its own: bench/README.md).
 */
export const MAX_SENDS_PER_CONNECTION = 3;

export interface Slot {
  readonly id: string;
  /** Its place in opening order (1, 2, …): `c${serial}` is its id. */
  readonly serial: number;
  readonly client: ClientLike;
  readonly createdAt: number;
  /** Transactions attempted on this connection. */
  messages: number;
  /** Clock time of the last completed send (or of creation). */
  lastActivity: number;
  /** Sends holding this connection: 0 when idle, above 1 only while a pipelining client shares. */
  sends: number;
  /** Set when it broke or went stale with sends still on it: it takes no more, and this runs after the last. */
  retire: (() => void) | undefined;
  /** Sends handed to its client so far: a send's seat is its place in that order (1, 2, …). */
  handed: number;
  /**
   * The seat of the first send whose failure ended the connection (0: the client closed under it).
   * Its client runs sends in the order handed, so a later seat that fails 'not-sent' failed for that
   * (its envelope behind the broken dot, or still queued), not for itself.
   */
  brokeAt: number | undefined;
  idleTimer: unknown;
}

export interface SlotSettings {
  readonly clock: Clock;
  readonly create: () => ClientLike;
  readonly maxMessages: number;
  readonly maxAgeMs: number;
  readonly idleTimeoutMs: number;
  readonly emit: (event: PoolEvent) => void;
  /** A connection finished closing: capacity is free again. */
  readonly onClosed: () => void;
}

export class ConnectionSlots {
  readonly #s: SlotSettings;
  /** Most recently used last: reuse takes from the end so spare connections idle out. */
  #slots: Slot[] = [];
  /** Slots QUITting: alive until their client's close() settles or they are destroyed. */
  #closing = new Set<Slot>();
  /** closeAll() callers waiting for the last close to end. */
  #allClosed: (() => void)[] = [];
  #nextId = 1;
  #peak = 0;
  #reserved = 0;

  constructor(settings: SlotSettings) {
    this.#s = settings;
  }

  get size(): number {
    return this.#slots.length;
  }

  /** Connections in use (a slot being swapped for a fresh one counts), however many sends each holds. */
  get busy(): number {
    return this.#slots.filter((slot) => slot.sends > 0).length + this.#reserved;
  }

  /** Connections opened so far: a slot whose serial is above this count was opened later. */
  get opened(): number {
    return this.#nextId - 1;
  }

  /** Most clients ever alive at once (including ones still closing). */
  get peak(): number {
    return this.#peak;
  }

  /** Clients alive: in use, idle, being opened in place of a stale one, or still QUITting. */
  get alive(): number {
    return this.#slots.length + this.#closing.size + this.#reserved;
  }

  /**
   * A slot for the next transaction: an idle one, else a new one, else a share of a pipelining one
   * in use; undefined when none of these is possible yet. A connection still QUITting counts against
   * the limit (the server counts it too), so a replacement may have to wait for the close:
   * `onClosed` then calls back. `openedAfter` (0: any) asks for a connection opened after that many
   * (`opened`): the send's last one died under it, and the others open as long may be gone too.
   */
  acquire(options: { openedAfter: number; limit: number }): Slot | undefined {
    const { openedAfter, limit } = options;
    if (this.busy < limit) {
      for (let slot = this.#lastIdle(openedAfter); slot; slot = this.#lastIdle(openedAfter)) {
        const reason = this.#staleReason(slot, 0);
        if (reason === undefined) return this.#claim(slot);
        void this.#recycle(slot, reason);
      }
      if (this.alive < limit) return this.#claim(this.#open());
    }
    const shared = this.#share(openedAfter);
    if (shared !== undefined || this.busy >= limit) return shared;
    // Only connections too old for this send idle now: one makes room for a new one.
    const spare = this.#firstIdle();
    if (spare) void this.close(spare, 'replaced');
    return undefined;
  }

  /**
   * The same slot if still usable after a wait (send-rate tokens), else a fresh one in its place,
   * opened once the stale one has closed (so the swap never exceeds the limit); undefined as soon
   * as `signal` aborts. The stale one stays counted (closing) until its close ends, so a send that
   * gives up without waiting for the QUIT leaves the limit intact. 'elsewhere': this send leaves a
   * shared slot for the queue, because the slot went stale with other sends still on it, or broke
   * under one of them meanwhile (it closes after the last).
   */
  async refresh(slot: Slot, signal: AbortSignal): Promise<Slot | 'elsewhere' | undefined> {
    if (slot.retire !== undefined) return this.#leave(slot);
    const reason = this.#staleReason(slot, slot.sends - 1);
    if (reason === undefined) return slot;
    if (slot.sends > 1) {
      slot.retire = () => void this.#recycle(slot, reason);
      return this.#leave(slot);
    }
    this.#reserved++;
    try {
      await untilAborted(signal, this.#recycle(slot, reason));
    } finally {
      this.#reserved--;
    }
    // Aborted (or the pool's close deadline passed) during the close: no connection may open now.
    if (signal.aborted) return undefined;
    return this.#claim(this.#open());
  }

  /**
   * A transaction ended on `slot`: recycle, close or park it once no other send is on it (a broken
   * one takes no more meanwhile: those already on it get their own outcome from its client).
   */
  release(slot: Slot, options: { broken: boolean; limit: number; seat?: number }): void {
    if (!this.#slots.includes(slot)) return;
    slot.sends--;
    slot.lastActivity = this.#s.clock.now();
    if (options.broken || slot.client.closed === true) {
      const seat = options.broken ? (options.seat ?? 0) : 0;
      slot.brokeAt = Math.min(slot.brokeAt ?? seat, seat);
      slot.retire ??= () => void this.close(slot, 'broken');
    }
    if (slot.sends > 0) return;
    if (slot.retire !== undefined) {
      slot.retire();
      return;
    }
    const reason = this.#staleReason(slot, 0);
    if (reason !== undefined) {
      void this.#recycle(slot, reason);
      return;
    }
    if (this.size > options.limit) {
      void this.close(slot, 'concurrency');
      return;
    }
    this.#slots = [...this.#slots.filter((s) => s !== slot), slot];
    this.#armIdle(slot);
  }

  /** Closes idle slots beyond `limit` (after the pool lowered its concurrency). */
  trim(limit: number): void {
    for (let slot = this.#firstIdle(); slot && this.size > limit; slot = this.#firstIdle()) {
      void this.close(slot, 'concurrency');
    }
  }

  /** Starts a graceful close (QUIT); the promise settles when the client has closed. */
  close(slot: Slot, reason: CloseReason): Promise<void> {
    if (!this.#slots.includes(slot)) return Promise.resolve();
    this.#slots = this.#slots.filter((s) => s !== slot);
    this.#disarmIdle(slot);
    this.#s.emit({ type: 'connection-closed', connectionId: slot.id, reason });
    return this.#track(slot);
  }

  /**
   * QUITs every connection left and waits for all closes (including earlier ones) to end, or for
   * destroyAll() to end them.
   */
  closeAll(): Promise<void> {
    for (const slot of [...this.#slots]) void this.close(slot, 'pool-closed');
    if (this.#closing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#allClosed.push(resolve));
  }

  /**
   * Ends every connection now, without QUIT (close() deadline passed), those still QUITting too: a
   * server that never answers QUIT must not hold the close past its deadline.
   */
  destroyAll(): void {
    for (const slot of [...this.#slots]) {
      this.#slots = this.#slots.filter((s) => s !== slot);
      this.#disarmIdle(slot);
      this.#s.emit({ type: 'connection-closed', connectionId: slot.id, reason: 'pool-closed' });
      if (!this.#destroy(slot)) void this.#track(slot);
    }
    for (const slot of [...this.#closing]) {
      // A client without destroy() whose QUIT goes unanswered: no longer waited for (the deadline
      // bounds close()); its own close() may still end it later.
      this.#destroy(slot);
      this.#ended(slot);
    }
  }

  /** Throws the SmtpError the transaction fails with when the factory throws (nothing opened). */
  #open(): Slot {
    const now = this.#s.clock.now();
    let client: ClientLike;
    try {
      client = this.#s.create();
    } catch (error) {
      throw clientCreationError(error);
    }
    const serial = this.#nextId++;
    const slot: Slot = {
      id: `c${serial}`,
      serial,
      client,
      createdAt: now,
      messages: 0,
      lastActivity: now,
      sends: 0,
      retire: undefined,
      handed: 0,
      brokeAt: undefined,
      idleTimer: undefined,
    };
    this.#slots.push(slot);
    this.#peak = Math.max(this.#peak, this.alive);
    this.#s.emit({ type: 'connection-opened', connectionId: slot.id, at: now });
    return slot;
  }

  /** A send gives up its share of a retiring `slot` before using it; the last one out ends the slot. */
  #leave(slot: Slot): 'elsewhere' {
    slot.sends--;
    if (slot.sends === 0) slot.retire?.();
    return 'elsewhere';
  }

  #claim(slot: Slot): Slot {
    this.#disarmIdle(slot);
    slot.sends++;
    return slot;
  }

  /**
   * One more send on a pipelining connection in use (the fewest sends first), below the limit per
   * connection opened after `openedAfter` and within its message count and age; undefined when there
   * is none.
   */
  #share(openedAfter: number): Slot | undefined {
    let best: Slot | undefined;
    for (const slot of this.#slots) {
      if (slot.sends === 0 || slot.sends >= MAX_SENDS_PER_CONNECTION || slot.retire !== undefined) continue;
      if (slot.serial <= openedAfter) continue;
      if (slot.client.pipelining !== true || this.#staleReason(slot, slot.sends) !== undefined) continue;
      if (best === undefined || slot.sends < best.sends) best = slot;
    }
    if (best !== undefined) best.sends++;
    return best;
  }

  /** Why `slot` may not take one more send while `others` sends are on it; undefined when it may. */
  #staleReason(slot: Slot, others: number): RecycleReason | undefined {
    const now = this.#s.clock.now();
    if (slot.client.closed === true) return 'stale';
    // A client connects lazily (createClient also reconnects by itself; createPool's never does):
    // `connected` false after a message means the connection it used is gone (`closed` only says
    // close() was called).
    if (slot.messages > 0 && slot.client.connected === false) return 'stale';
    if (slot.messages + others >= this.#s.maxMessages) return 'max-messages';
    // Its first message always goes (createClient connects for it: the connection is no older).
    if (slot.messages + others > 0 && now - slot.createdAt >= this.#s.maxAgeMs) return 'max-age';
    // Idle past the limit (its timer had no chance to run, e.g. while waiting for rate tokens).
    const idle = others === 0 && slot.messages > 0 && now - slot.lastActivity >= this.#s.idleTimeoutMs;
    if (this.#idleCloses && idle) return 'stale';
    return undefined;
  }

  #recycle(slot: Slot, reason: RecycleReason): Promise<void> {
    this.#s.emit({
      type: 'connection-recycled',
      connectionId: slot.id,
      reason,
      messages: slot.messages,
      ageMs: this.#s.clock.now() - slot.createdAt,
    });
    return this.close(slot, 'recycled');
  }

  /** idleTimeoutMs 0 disables the idle close, as it does for createClient. */
  get #idleCloses(): boolean {
    return this.#s.idleTimeoutMs > 0;
  }

  #lastIdle(openedAfter: number): Slot | undefined {
    return this.#slots.findLast((slot) => slot.sends === 0 && slot.serial > openedAfter);
  }

  #firstIdle(): Slot | undefined {
    return this.#slots.find((slot) => slot.sends === 0);
  }

  #armIdle(slot: Slot): void {
    this.#disarmIdle(slot);
    if (!this.#idleCloses) return;
    slot.idleTimer = this.#s.clock.setTimeout(() => {
      slot.idleTimer = undefined;
      if (slot.sends === 0) void this.close(slot, 'idle');
    }, this.#s.idleTimeoutMs);
  }

  #disarmIdle(slot: Slot): void {
    if (slot.idleTimer !== undefined) this.#s.clock.clearTimeout(slot.idleTimer);
    slot.idleTimer = undefined;
  }

  /** Ends `slot`'s client without QUIT; false when it has no destroy() (close() is then the only way). */
  #destroy(slot: Slot): boolean {
    if (!slot.client.destroy) return false;
    try {
      slot.client.destroy();
    } catch {
      // A failing destroy leaves nothing more to do for this connection.
    }
    return true;
  }

  /** Calls the client's close() and counts the slot as alive until it settles. */
  #track(slot: Slot): Promise<void> {
    this.#closing.add(slot);
    this.#peak = Math.max(this.#peak, this.alive);
    return Promise.resolve()
      .then(() => slot.client.close())
      .then(
        () => undefined,
        () => undefined, // a failed QUIT still ends the connection; nobody is waiting for its reply
      )
      .then(() => this.#ended(slot));
  }

  /** `slot`'s client is gone (closed or destroyed): its capacity is free. */
  #ended(slot: Slot): void {
    if (!this.#closing.delete(slot)) return;
    this.#s.onClosed();
    if (this.#closing.size > 0) return;
    for (const resolve of this.#allClosed.splice(0)) resolve();
  }
}

/** Resolves when `work` ends or `signal` aborts, whichever comes first. */
function untilAborted(signal: AbortSignal, work: Promise<void>): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      signal.removeEventListener('abort', done);
      resolve();
    };
    signal.addEventListener('abort', done, { once: true });
    void work.then(done);
  });
}
