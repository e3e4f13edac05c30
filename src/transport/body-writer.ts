/**
 * Writes one DATA body to the socket (RFC 5321 §4.5.2): pre-encoded bodies in large slices, streams
 * through a DataEncoder while they arrive, with back-pressure, the size limit (RFC 1870) and the
 * 8BITMIME check (RFC 6152) enforced before the bytes that would break them are written.
 */
import type * as net from 'node:net';
import { ErrorCodes } from '../errors/codes.js';
import { SmtpError, SmtpUsageError } from '../errors/smtp-error.js';
import { DataEncoder } from '../protocol/data-encoder.js';
import { chunkBytes, type PreparedBody } from './message-source.js';

export interface BodyHooks {
  readonly maxSize: number;
  readonly allow8bit: boolean;
  /** A block was handed to the socket (restarts the session's data-block timer). */
  progress(): void;
  /** The terminator was handed to the socket. */
  finished(): void;
  /** Nothing more will be written; the terminator was NOT written. */
  failed(error: SmtpError): void;
}

/** Pre-encoded bodies are written in slices of this size, so progress is reported while large bodies drain. */
const SLICE_OCTETS = 64 * 1024;
const NOT_SENT = 'the connection was closed before the terminating dot, so the message was NOT delivered';

function tooLarge(maxSize: number): SmtpUsageError {
  return new SmtpUsageError({
    code: ErrorCodes.MESSAGE_TOO_LARGE,
    field: 'message',
    phase: 'body',
    message: `message: larger than the limit of ${maxSize} octets; ${NOT_SENT}`,
  });
}

function eightBitRefused(): SmtpUsageError {
  return new SmtpUsageError({
    code: ErrorCodes.BODY_8BIT_NOT_SUPPORTED,
    field: 'message',
    phase: 'body',
    message: `message: contains 8-bit data and the server does not offer 8BITMIME; ${NOT_SENT}`,
  });
}

function streamFailed(cause: unknown): SmtpUsageError {
  return new SmtpUsageError({
    code: ErrorCodes.MESSAGE_STREAM_FAILED,
    field: 'message',
    phase: 'body',
    message: `message: the message stream failed (see cause); ${NOT_SENT}`,
    cause,
  });
}

function isPreparedBody(body: unknown): body is PreparedBody {
  const kind = (body as { kind?: unknown } | null)?.kind;
  return kind === 'encoded' || kind === 'stream';
}

export class BodyWriter {
  #stopped = false;
  #wake: (() => void) | undefined;
  #iterator: AsyncIterator<unknown> | undefined;

  constructor(
    private readonly socket: net.Socket,
    private readonly hooks: BodyHooks,
  ) {}

  /** The connection is going away: write nothing more and call no hook again. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#wake?.();
    // Ends a pending read of the caller's stream (a Readable is destroyed by return()).
    this.#iterator?.return?.().catch(() => {});
  }

  async run(body: unknown): Promise<void> {
    try {
      if (!isPreparedBody(body)) throw streamFailed(new TypeError('not a prepared body'));
      if (body.kind === 'encoded') await this.#writeEncoded(body.bytes, body.has8bit);
      else await this.#writeStream(body.source, body.encoderOptions);
    } catch (error) {
      if (this.#stopped) return;
      this.#stopped = true;
      this.hooks.failed(error instanceof SmtpError ? error : streamFailed(error));
    }
  }

  async #writeEncoded(bytes: Uint8Array, has8bit: boolean): Promise<void> {
    if (has8bit && !this.hooks.allow8bit) throw eightBitRefused();
    if (bytes.length > this.hooks.maxSize) throw tooLarge(this.hooks.maxSize);
    for (let offset = 0; offset < bytes.length; offset += SLICE_OCTETS) {
      const last = offset + SLICE_OCTETS >= bytes.length;
      if (!(await this.#write(bytes.subarray(offset, offset + SLICE_OCTETS), last))) return;
    }
  }

  async #writeStream(
    source: AsyncIterable<unknown>,
    encoderOptions: ConstructorParameters<typeof DataEncoder>[0],
  ): Promise<void> {
    const encoder = new DataEncoder(encoderOptions);
    const iterator = source[Symbol.asyncIterator]();
    this.#iterator = iterator;
    const check = (): void => {
      if (encoder.encodedOctets > this.hooks.maxSize) throw tooLarge(this.hooks.maxSize);
      if (encoder.has8bit && !this.hooks.allow8bit) throw eightBitRefused();
    };
    try {
      for (;;) {
        const next = await iterator.next().catch((error: unknown) => {
          throw streamFailed(error);
        });
        if (this.#stopped) return;
        if (next.done) break;
        const encoded = encoder.push(chunkBytes(next.value));
        check();
        if (encoded.length > 0 && !(await this.#write(encoded, false))) return;
      }
    } catch (error) {
      await iterator.return?.().catch(() => {});
      throw error;
    }
    const tail = encoder.end();
    check();
    await this.#write(tail, true);
  }

  /** Writes one block; resolves false when stopped. Reports progress, or `finished` for the last block. */
  async #write(block: Uint8Array, last: boolean): Promise<boolean> {
    if (this.#stopped || this.socket.destroyed) return false;
    const flushed = this.socket.write(block);
    if (last) {
      this.#stopped = true;
      this.hooks.finished();
      return true;
    }
    this.hooks.progress();
    if (!flushed) await this.#drain();
    return !this.#stopped;
  }

  #drain(): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        this.socket.removeListener('drain', done);
        this.socket.removeListener('close', done);
        this.#wake = undefined;
        resolve();
      };
      this.#wake = done;
      this.socket.once('drain', done);
      this.socket.once('close', done);
    });
  }
}
