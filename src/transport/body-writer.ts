/**
 * Writes one message body to the socket, as DATA (RFC 5321 §4.5.2) or BDAT chunk data (RFC 3030 §2):
 * pre-encoded bodies in large slices, streams through a DataEncoder while they arrive, with
 * back-pressure, the size limit (RFC 1870) and the 8BITMIME check (RFC 6152) enforced before the
 * bytes that would break them are written.
 */
import type * as net from 'node:net';
import { ErrorCodes } from '../errors/codes.js';
import { SmtpError, SmtpUsageError } from '../errors/smtp-error.js';
import { DataEncoder } from '../protocol/data-encoder.js';
import type { BodyTransfer } from '../session/types.js';
import { joinParts } from './flight-writer.js';
import {
  blockVerifier,
  bodyChanged,
  chunkBytes,
  type EncodedBody,
  type PreparedBody,
  unstuffedSize,
  wireParts,
} from './message-source.js';

export interface BodyHooks {
  readonly maxSize: number;
  readonly allow8bit: boolean;
  /** 'bdat': no stuffing, no terminator; a stream goes as chunks, each announced through `chunk`. */
  readonly transfer?: BodyTransfer;
  /** BDAT of known size: the octets `BDAT n LAST` announced; the body must be exactly that (RFC 3030 §2). */
  readonly announcedOctets?: number;
  /** A BDAT chunk of `size` octets comes next: the session writes its command (RFC 3030 §2). */
  chunk?(size: number, last: boolean): void;
  /** Writes one block (the connection joins a flight's writes); default: the socket's write. */
  write?(bytes: Uint8Array, last: boolean): boolean;
  /** A block was handed to the socket (restarts the session's data-block timer). */
  progress(): void;
  /** Milliseconds, monotonic (default performance.now): paces progress reports. */
  now?(): number;
  /**
   * Report progress at most this often (default PROGRESS_INTERVAL_MS). Well under the data-block
   * timeout it restarts, or a body written steadily in blocks could still time out.
   */
  readonly progressEveryMs?: number;
  /** The terminator was handed to the socket. */
  finished(): void;
  /** Nothing more will be written; the terminator was NOT written. */
  failed(error: SmtpError): void;
}

/** Pre-encoded bodies are written in slices of this size, so progress is reported while large bodies drain. */
const SLICE_OCTETS = 64 * 1024;
/** The end of data (RFC 5321 §4.1.1.4 `CRLF.CRLF`): written in one piece with the body's last octets. */
const END_OCTETS = 5;
/**
 * Progress restarts the session's data-block timer (minutes, RFC 5321 §4.5.3.2); reporting it at most
 * this often keeps that timer exact to within this interval without a machine event per block.
 */
export const PROGRESS_INTERVAL_MS = 250;
/** A streamed BDAT body is sent in chunks of at least this much (except the last) and at most BDAT_MAX_OCTETS. */
const BDAT_MIN_OCTETS = 64 * 1024;
const BDAT_MAX_OCTETS = 1024 * 1024;
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

/** The parts an encoded body puts on the wire (see wireParts), once its 8-bit data and size are allowed. */
function checkedParts(body: EncodedBody, limits: InlineLimits, rescan: boolean): Uint8Array[] {
  const parts = wireParts(body, limits.transfer === 'bdat', { rescan });
  if (body.has8bit && !limits.allow8bit) throw eightBitRefused();
  // RFC 1870 §5: the limit is on the message size, without stuffed dots and terminator.
  if (unstuffedSize(body) > limits.maxSize) throw tooLarge(limits.maxSize);
  checkAnnounced(body, limits);
  return parts;
}

/** RFC 3030 §2: a `BDAT n LAST` already written must be followed by exactly n octets. */
function checkAnnounced(body: PreparedBody, limits: InlineLimits): void {
  const announced = limits.announcedOctets;
  if (announced === undefined) return;
  const actual = body.kind === 'encoded' ? unstuffedSize(body) : undefined;
  if (actual === announced) return;
  throw new SmtpUsageError({
    code: ErrorCodes.INVALID_ARGUMENT,
    field: 'unstuffedSize',
    phase: 'body',
    message: `unstuffedSize: BDAT announced ${announced} octets but the body ${actual === undefined ? 'is a stream of unknown size' : `has ${actual}`}; ${NOT_SENT}`,
  });
}

type InlineLimits = Pick<BodyHooks, 'maxSize' | 'allow8bit' | 'transfer' | 'announcedOctets'>;

/**
 * An inline body (a small encoded one, see the session's `writeBody` effect): checked, then written
 * in one piece, synchronously, in the current flight. Returns the error instead when it may not be
 * written; then nothing was written.
 */
export function writeInline(
  body: unknown,
  limits: InlineLimits,
  write: (bytes: Uint8Array) => unknown,
): SmtpError | undefined {
  try {
    if (!isPreparedBody(body) || body.kind !== 'encoded')
      throw streamFailed(new TypeError('an inline body must be an encoded body'));
    for (const part of checkedParts(body, limits, true)) if (part.length > 0) write(part);
    return undefined;
  } catch (error) {
    return error instanceof SmtpError ? error : streamFailed(error);
  }
}

/** What a read of the source resolves to once the writer was stopped while it was pending. */
const STOPPED = Symbol('stopped');

export class BodyWriter {
  #stopped = false;
  #wake: (() => void) | undefined;
  #iterator: AsyncIterator<unknown> | undefined;
  /** The caller's stream (a Node Readable has `destroy`): released when the writer stops. */
  #source: AsyncIterable<unknown> | undefined;
  /**
   * Ends the read pending on the source, if any, with STOPPED: a stalled source does not hold run()
   * up. One per read (a promise raced against every read would keep each chunk reachable).
   */
  #cancelRead: (() => void) | undefined;
  /** When progress was last reported (the session started its data-block timer when the body began). */
  #reported: number;

  constructor(
    private readonly socket: net.Socket,
    private readonly hooks: BodyHooks,
  ) {
    this.#reported = hooks.now?.() ?? performance.now();
  }

  /**
   * The connection is going away: write nothing more and call no hook again. The caller's stream is
   * released: a Readable destroyed (its iterator's return() would wait behind a pending read of a
   * stream that stalled), any other iterable ended by return() once it yields.
   */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#wake?.();
    this.#cancelRead?.();
    this.#release();
  }

  /** The caller's stream let go: a Readable destroyed, any other iterable ended by return(). */
  #release(): void {
    const source = this.#source as { destroy?: unknown } | undefined;
    if (typeof source?.destroy === 'function') source.destroy();
    this.#iterator?.return?.().catch(() => {});
  }

  async run(body: unknown): Promise<void> {
    try {
      if (!isPreparedBody(body)) throw streamFailed(new TypeError('not a prepared body'));
      const bdat = this.hooks.transfer === 'bdat';
      if (body.kind === 'stream') checkAnnounced(body, this.hooks);
      if (body.kind === 'encoded') await this.#writeEncoded(body);
      else if (bdat) await this.#writeChunks(body.source, body.encoderOptions);
      else await this.#writeStream(body.source, body.encoderOptions);
    } catch (error) {
      if (this.#stopped) return;
      this.#stopped = true;
      this.hooks.failed(error instanceof SmtpError ? error : streamFailed(error));
    }
  }

  /** A borrowed body (the caller's array) is verified block by block, each just before it is written. */
  async #writeEncoded(body: EncodedBody): Promise<void> {
    const parts = checkedParts(body, this.hooks, false);
    const verifier = blockVerifier(body);
    const slices: Uint8Array[] = [];
    const lengths: number[] = [];
    for (let p = 0; p < parts.length; p++) {
      const part = parts[p]!;
      // The last part ends the body: its last slice keeps END_OCTETS whole, so no byte of the end of
      // data (`CRLF.CRLF`) leaves before the write after which the body counts as finished.
      const keep = p === parts.length - 1 ? END_OCTETS : 0;
      for (let offset = 0; offset < part.length; ) {
        let end = Math.min(offset + SLICE_OCTETS, part.length);
        if (end < part.length && part.length - end < keep) end = part.length - keep;
        slices.push(part.subarray(offset, end));
        lengths.push(end - offset);
        offset = end;
      }
    }
    // The caller's bytes are the first part; what follows them (the tail) is ours.
    let unverified = verifier ? parts[0]!.length : 0;
    if (verifier && unverified === 0) verifier.end();
    if (slices.length === 0) this.#finish(); // an empty BDAT body: `BDAT 0 LAST` alone
    for (let index = 0; index < slices.length; index++) {
      const slice = slices[index]!;
      // The caller's buffer shrank or was transferred meanwhile: its views now read fewer octets (none).
      if (slice.length !== lengths[index]) throw bodyChanged();
      if (verifier && unverified > 0) {
        verifier.block(slice);
        unverified -= slice.length;
        if (unverified === 0) verifier.end();
      }
      if (!(await this.#write(slice, index === slices.length - 1))) return;
    }
  }

  async #writeStream(
    source: AsyncIterable<unknown>,
    encoderOptions: ConstructorParameters<typeof DataEncoder>[0],
  ): Promise<void> {
    const encoder = new DataEncoder(encoderOptions);
    await this.#encodeStream(source, encoder, (encoded) => this.#write(encoded, false));
    if (this.#stopped) return;
    const tail = encoder.end();
    this.#check(encoder);
    await this.#write(tail, true);
  }

  /** A stream as BDAT chunks (RFC 3030 §2): encoded without stuffing, gathered, each chunk announced. */
  async #writeChunks(
    source: AsyncIterable<unknown>,
    encoderOptions: ConstructorParameters<typeof DataEncoder>[0],
  ): Promise<void> {
    const encoder = new DataEncoder({ ...encoderOptions, dotStuffing: false, terminator: false });
    const pending: Uint8Array[] = [];
    let pendingOctets = 0;
    const flush = async (last: boolean): Promise<boolean> => {
      const data = joinParts(pending.splice(0), pendingOctets);
      pendingOctets = 0;
      let offset = 0;
      do {
        const slice = data.subarray(offset, offset + BDAT_MAX_OCTETS);
        offset += slice.length;
        const final = last && offset >= data.length;
        if (this.#stopped || this.socket.destroyed) return false;
        this.hooks.chunk?.(slice.length, final);
        if (slice.length === 0) this.#finish();
        else if (!(await this.#write(slice, final))) return false;
      } while (offset < data.length);
      return true;
    };
    await this.#encodeStream(source, encoder, async (encoded) => {
      pending.push(encoded);
      pendingOctets += encoded.length;
      return pendingOctets < BDAT_MIN_OCTETS || (await flush(false));
    });
    if (this.#stopped) return;
    pending.push(encoder.end());
    pendingOctets += pending[pending.length - 1]!.length;
    this.#check(encoder);
    await flush(true);
  }

  #check(encoder: DataEncoder): void {
    if (encoder.messageOctets > this.hooks.maxSize) throw tooLarge(this.hooks.maxSize);
    if (encoder.has8bit && !this.hooks.allow8bit) throw eightBitRefused();
  }

  /** Feeds the source through the encoder; `sink` gets each non-empty encoding and says whether to go on. */
  async #encodeStream(
    source: AsyncIterable<unknown>,
    encoder: DataEncoder,
    sink: (encoded: Uint8Array) => Promise<boolean>,
  ): Promise<void> {
    this.#source = source;
    const iterator = source[Symbol.asyncIterator]();
    this.#iterator = iterator;
    try {
      for (;;) {
        const next = await this.#read(iterator).catch((error: unknown) => {
          throw streamFailed(error);
        });
        if (next === STOPPED || this.#stopped) return;
        if (next.done) return;
        const encoded = encoder.push(chunkBytes(next.value));
        this.#check(encoder);
        if (encoded.length > 0 && !(await sink(encoded))) {
          // Stopped, or the socket died under the write ('close' may come after run() has settled,
          // so stop() would find nothing to release): the caller's stream is let go here.
          this.#release();
          return;
        }
      }
    } catch (error) {
      await iterator.return?.().catch(() => {});
      throw error;
    }
  }

  /** The source's next chunk, or STOPPED as soon as stop() is called while it is awaited. */
  #read(iterator: AsyncIterator<unknown>): Promise<IteratorResult<unknown> | typeof STOPPED> {
    return new Promise((resolve, reject) => {
      this.#cancelRead = () => resolve(STOPPED);
      iterator.next().then(resolve, reject);
    }).finally(() => {
      this.#cancelRead = undefined;
    }) as Promise<IteratorResult<unknown> | typeof STOPPED>;
  }

  #finish(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.hooks.finished();
  }

  /** Writes one block; resolves false when stopped. Reports progress, or `finished` for the last block. */
  async #write(block: Uint8Array, last: boolean): Promise<boolean> {
    if (this.#stopped || this.socket.destroyed) return false;
    const flushed = this.hooks.write ? this.hooks.write(block, last) : this.socket.write(block);
    if (last) {
      this.#finish();
      return true;
    }
    const now = this.hooks.now?.() ?? performance.now();
    if (now - this.#reported >= (this.hooks.progressEveryMs ?? PROGRESS_INTERVAL_MS)) {
      this.#reported = now;
      this.hooks.progress();
    }
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
