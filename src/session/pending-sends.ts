/**
 * The Session's sends not yet settled (contracts.md: each send settles exactly once): at most the
 * transaction in flight and the next one (RFC 2920 §3.1), each wired to its caller's AbortSignal.
 */
import { ErrorCodes } from '../errors/codes.js';
import { type Phase, type SmtpError, SmtpUsageError } from '../errors/smtp-error.js';
import type { SendResult, Settlement } from './types.js';

interface PendingSend {
  resolve(result: SendResult): void;
  reject(error: SmtpError): void;
  cleanup(): void;
}

/**
 * Slots reused in place, not a Map: V8 allocates a Map's rehashed table in the old generation once the
 * table it replaces is there, and the replaced table keeps the entries it held — with a send added
 * and settled per message, every send's promise, closures and result then outlived the scavenges as
 * garbage held by dead old tables. A settled send's slot is emptied (id 0) and taken by a later one:
 * the two arrays keep their backing stores (at most as many slots as sends ever pending at once).
 */
export class PendingSends {
  /** Id of each slot's send, 0 when the slot is free (ids start at 1). */
  readonly #ids: number[] = [];
  readonly #sends: (PendingSend | undefined)[] = [];
  #size = 0;
  #lastId = 0;

  get size(): number {
    return this.#size;
  }

  /** The pending ids, oldest first (a copy: settling while iterating it is safe). */
  ids(): number[] {
    const ids: number[] = [];
    for (const id of this.#ids) if (id !== 0) ids.push(id);
    return ids.sort((a, b) => a - b);
  }

  /** Whether every pending send's id passes `test` (true when none is pending). */
  every(test: (id: number) => boolean): boolean {
    for (const id of this.#ids) if (id !== 0 && !test(id)) return false;
    return true;
  }

  /** Whether every pending send is `a` or `b` (ids; undefined matches nothing). */
  allAmong(a: number | undefined, b: number | undefined): boolean {
    for (const id of this.#ids) if (id !== 0 && id !== a && id !== b) return false;
    return true;
  }

  /**
   * Registers a send under a fresh id and hands that id to `start` (which tells the machine).
   * An abort before the send settles calls `onAbort(id)`.
   */
  add(signal: AbortSignal | undefined, onAbort: (id: number) => void, start: (id: number) => void) {
    const id = ++this.#lastId;
    return new Promise<SendResult>((resolve, reject) => {
      const abort = () => onAbort(id);
      signal?.addEventListener('abort', abort, { once: true });
      const send = { resolve, reject, cleanup: () => signal?.removeEventListener('abort', abort) };
      const free = this.#ids.indexOf(0);
      if (free < 0) {
        this.#ids.push(id);
        this.#sends.push(send);
      } else {
        this.#ids[free] = id;
        this.#sends[free] = send;
      }
      this.#size++;
      start(id);
    });
  }

  /** Settles `id` once; false when it is not (or no longer) pending. */
  settle(id: number, settlement: Settlement): boolean {
    const slot = this.#ids.indexOf(id);
    const pending = slot < 0 ? undefined : this.#sends[slot];
    if (pending === undefined) return false;
    this.#ids[slot] = 0;
    this.#sends[slot] = undefined;
    this.#size--;
    if (settlement.ok) pending.resolve(settlement.result);
    else pending.reject(settlement.error);
    try {
      pending.cleanup();
    } catch {
      // A signal whose own removeEventListener throws keeps its listener; an abort after this finds
      // the send settled (the machine ignores an abort of an id it does not hold).
    }
    return true;
  }
}

/** Why send() refuses a request before it reaches the machine (the promise rejects with it). */
export function busy(phase: Phase): SmtpUsageError {
  return new SmtpUsageError({
    code: ErrorCodes.SESSION_BUSY,
    field: 'session',
    message:
      'session: send() needs a session that accepts a send (ready, or one pipelined transaction in flight)',
    phase,
  });
}

export function abortedBeforeSend(): SmtpUsageError {
  return new SmtpUsageError({
    code: ErrorCodes.ABORTED,
    field: 'signal',
    message: 'signal: aborted before sending',
  });
}
