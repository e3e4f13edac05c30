/**
 * What every benchmarked client implements, so the worker can time them the same way: open and warm
 * up untimed, then send `count` messages (timed) over `connections` connections, then close.
 */
import type { Readable } from 'node:stream';

export type ClientName = 'smtp-machine' | 'nodemailer' | 'raw';

export interface ClientSetup {
  readonly host: string;
  readonly port: number;
  /** Connections to use (1 or a pool). */
  readonly connections: number;
  /** A fresh body for one send: the same Buffer every time, or a new stream. */
  readonly body: () => Buffer | Readable;
  /** The body dot-stuffed and terminated (what the raw reference writes). */
  readonly encoded: Uint8Array | undefined;
  /** The 1 KB message used to connect and warm up (untimed), and its encoded form. */
  readonly warmBody: Buffer;
  readonly warmEncoded: Uint8Array;
  /** Largest message the client must accept. */
  readonly maxMessageSize: number;
  /** Raw only: dot-stuff a stream on the fly instead of writing pre-encoded bytes. */
  readonly rawStream: boolean;
  /**
   * Every send, warm-up included, composes its message from COMPOSE_FIELDS with the client's own
   * composer instead of sending the prepared body (the raw reference has none: it does not run).
   */
  readonly composed: boolean;
}

export interface BenchClient {
  /** Sends `count` (≥ connections) warm-up messages, untimed; the first call also connects (it may be called several times). */
  warm(count: number): Promise<void>;
  /** Sends `count` messages; resolves once the server accepted every one (rejects otherwise). */
  run(count: number): Promise<void>;
  close(): Promise<void>;
}

/** Keeps up to `window` sends in flight until `count` were started; rejects on the first failure. */
export async function windowed(
  count: number,
  window: number,
  sendOne: () => Promise<unknown>,
): Promise<void> {
  let started = 0;
  const lane = async (): Promise<void> => {
    while (started < count) {
      started++;
      await sendOne();
    }
  };
  await Promise.all(Array.from({ length: Math.min(window, count) }, lane));
}
