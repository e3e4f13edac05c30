/**
 * The owner's hand-over ahead of a read, for the Session facade (session.ts #offerGroup; the
 * machine's side is reply-group.ts planSend). While the owner's onSendable runs for a read whose
 * step will make room for a send (RFC 2920 §3.1: its envelope then rides behind the dot), one send()
 * made from inside is kept here to ride in that step, and every machine event the owner causes
 * meanwhile (quit, an abort, a close) is held to follow the read's replies, in the order it came.
 * A kept send that the step did not take is handed on after the read, as its own event.
 */
import type { HandedSend, SessionEvent } from './machine-types.js';

export class SendAhead {
  #open = false;
  #kept: HandedSend | undefined;
  #held: SessionEvent[] = [];

  /** True while the owner's onSendable runs for a read: its events wait (hold). */
  get open(): boolean {
    return this.#open;
  }

  /**
   * Whether a send is accepted as far as the hand-over goes: while open, until one is kept or the
   * owner has done anything else to the session (a send after a quit must not overtake it); false
   * while a kept send waits for the read to end; undefined otherwise (the machine decides).
   */
  get accepts(): boolean | undefined {
    if (this.#open) return this.#kept === undefined && this.#held.length === 0;
    return this.#kept === undefined ? undefined : false;
  }

  /** Runs the owner's callback open; returns the send it handed over (now the caller's to send). */
  run(onSendable: () => void): HandedSend | undefined {
    this.#open = true;
    try {
      onSendable();
    } catch {
      // The owner's failure must not change the session.
    } finally {
      this.#open = false;
    }
    const kept = this.#kept;
    this.#kept = undefined;
    return kept;
  }

  /** A send() from inside the callback: kept (true), or not (false: it goes the usual way, held if open). */
  keep(send: HandedSend): boolean {
    if (!this.#open || this.#kept !== undefined || this.#held.length > 0) return false;
    this.#kept = send;
    return true;
  }

  /** A machine event the owner caused from inside the callback: held (true), or not open (false). */
  hold(event: SessionEvent): boolean {
    if (!this.#open) return false;
    this.#held.push(event);
    return true;
  }

  /** An abort of the kept send, which the machine has not seen: dropped (true), or not kept here. */
  drop(id: number): boolean {
    if (this.#kept?.id !== id) return false;
    this.#kept = undefined;
    return true;
  }

  /** A send the step did not take: it waits here until the read is over (drain). */
  putBack(send: HandedSend): void {
    this.#kept = send;
  }

  /** The held events alone (a later read must not overtake them: see Session.receive). */
  drainEvents(): readonly SessionEvent[] {
    const events = this.#held;
    if (events.length > 0) this.#held = [];
    return events;
  }

  /** Once the read is over: the send left over (if any), then the held events; each comes out once. */
  drain(): { readonly send: HandedSend | undefined; readonly events: readonly SessionEvent[] } {
    const send = this.#kept;
    const events = this.#held;
    this.#kept = undefined;
    if (events.length > 0) this.#held = [];
    return { send, events };
  }

  /** The session ended: nothing kept or held goes anywhere (the facade settles every pending send). */
  clear(): void {
    this.#kept = undefined;
    this.#held = [];
  }
}
