/**
 * One socket write per flight. Everything the session writes in one tick — the dot and the next
 * envelope behind it (RFC 2920 §3.1), MAIL/RCPT/`BDAT n LAST` and the chunk, an inline body and its
 * terminator — is gathered and leaves at the end of the tick as ONE `socket.write`: joined into one
 * buffer when small (one trip through Node's stream machinery instead of one per piece, and no cork),
 * corked into one `writev` when large (no copy). Either way no small trailing write waits on Nagle or a
 * delayed ACK. A write that must go now (a body block, or the connection closing) flushes the flight
 * first, so bytes always leave in the order they were added.
 */
import { Buffer } from 'node:buffer';

/** The part of a socket the writer uses (net.Socket and tls.TLSSocket have it). */
export interface FlightSocket {
  readonly destroyed: boolean;
  write(bytes: Uint8Array): boolean;
  cork(): void;
  uncork(): void;
}

/** Flights up to this size are joined into one buffer; larger ones are corked (written without a copy). */
export const JOIN_LIMIT_OCTETS = 16 * 1024;

export class FlightWriter {
  #socket: FlightSocket | undefined;
  #parts: Uint8Array[] = [];
  #octets = 0;
  readonly #defer: (flush: () => void) => void;
  readonly #failed: (error: unknown) => void;

  /**
   * `failed`: a write at the end of the tick threw (the caller's own writes see their throw); the
   * connection treats it as lost. `defer` runs that flush at the end of the current tick
   * (process.nextTick; tests pass their own).
   */
  constructor(failed: (error: unknown) => void, defer: (flush: () => void) => void = process.nextTick) {
    this.#failed = failed;
    this.#defer = defer;
  }

  /** Whether bytes are waiting for the end of the tick. */
  get pending(): boolean {
    return this.#socket !== undefined;
  }

  /** Adds `bytes` to the flight on `socket` (a flight on another socket leaves first). */
  add(socket: FlightSocket, bytes: Uint8Array): void {
    if (this.#socket !== undefined && this.#socket !== socket) this.flush();
    if (this.#socket === undefined) {
      this.#socket = socket;
      this.#defer(this.#flushAtTickEnd);
    }
    this.#parts.push(bytes);
    this.#octets += bytes.length;
  }

  /**
   * Writes the flight now, as one write. Returns the socket's answer (false: above its high-water
   * mark, wait for 'drain'); true when nothing was pending. Nothing is written to a destroyed socket.
   */
  flush(): boolean {
    const socket = this.#socket;
    const parts = this.#parts;
    const octets = this.#octets;
    this.#socket = undefined;
    this.#parts = [];
    this.#octets = 0;
    if (socket === undefined || socket.destroyed) return true;
    if (octets <= JOIN_LIMIT_OCTETS || parts.length === 1) return socket.write(joinParts(parts, octets));
    socket.cork();
    let flushed = true;
    for (const part of parts) flushed = socket.write(part);
    socket.uncork();
    return flushed;
  }

  readonly #flushAtTickEnd = (): void => {
    try {
      this.flush();
    } catch (error) {
      this.#failed(error);
    }
  };
}

/** The parts as one array (the part itself when there is one); `octets` is their total length. */
export function joinParts(parts: readonly Uint8Array[], octets: number): Uint8Array {
  if (parts.length === 1) return parts[0] as Uint8Array;
  const out = Buffer.allocUnsafe(octets);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
