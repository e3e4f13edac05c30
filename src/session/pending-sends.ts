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

export class PendingSends {
  readonly #byId = new Map<number, PendingSend>();
  #lastId = 0;

  get size(): number {
    return this.#byId.size;
  }

  ids(): IterableIterator<number> {
    return this.#byId.keys();
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
      this.#byId.set(id, { resolve, reject, cleanup: () => signal?.removeEventListener('abort', abort) });
      start(id);
    });
  }

  /** Settles `id` once; false when it is not (or no longer) pending. */
  settle(id: number, settlement: Settlement): boolean {
    const pending = this.#byId.get(id);
    if (pending === undefined) return false;
    this.#byId.delete(id);
    pending.cleanup();
    if (settlement.ok) pending.resolve(settlement.result);
    else pending.reject(settlement.error);
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
