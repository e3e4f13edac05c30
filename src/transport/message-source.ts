/**
 * Normalises a message body (string, bytes, or an async iterable of chunks such as a Node Readable)
 * for DATA (RFC 5321 §4.5.2): whole bodies are encoded once up front, so their wire size and
 * 8-bit-ness are known before MAIL (RFC 1870 SIZE=, RFC 6152); streams are encoded while sent.
 */
import { ErrorCodes } from '../errors/codes.js';
import { SmtpUsageError } from '../errors/smtp-error.js';
import {
  DataEncoder,
  type DataEncoderOptions,
  encodeData,
  scanCleanData,
  unstuffData,
} from '../protocol/data-encoder.js';
import { MAX_TEXT_LINE_OCTETS } from '../protocol/limits.js';

export type MessageInput = string | Uint8Array | AsyncIterable<Uint8Array | string>;

/**
 * A body already dot-stuffed and terminated: `bytes` then `tail` on the wire for DATA, unstuffed for
 * BDAT (RFC 3030). A body that needed no change is not copied: `bytes` is the caller's own array and
 * `tail` the final CRLF (if missing) and ".\r\n" (see scanCleanData).
 */
export interface EncodedBody {
  readonly kind: 'encoded';
  readonly bytes: Uint8Array;
  readonly tail: Uint8Array;
  readonly has8bit: boolean;
  /** Dots added by stuffing: the BDAT form is `size - 3 - stuffedOctets` octets. */
  readonly stuffedOctets: number;
  /** `bytes` is the caller's Uint8Array, not a copy: it is scanned again right before it is written. */
  readonly borrowed: boolean;
  /** `bytes.length` when prepared: a caller's array that grew, shrank or was detached since is refused. */
  readonly octets: number;
  /** The line limit it was encoded (or scanned) with. */
  readonly maxLineOctets: number;
  /**
   * The caller's octets as they are, for BODY=BINARYMIME over BDAT only (RFC 3030 §3): no tail, no
   * scan (`borrowed` is false although `bytes` is the caller's array; only its length is checked).
   */
  readonly binary: boolean;
}

/** Octets of an encoded body's DATA form (terminator included). */
export const encodedSize = (body: EncodedBody): number => body.bytes.length + body.tail.length;

/** Octets of an encoded body's BDAT form: no terminator, no stuffing. */
export const unstuffedSize = (body: EncodedBody): number =>
  body.binary ? body.bytes.length : encodedSize(body) - 3 - body.stuffedOctets;

/** A body encoded chunk by chunk while it is written. */
export interface StreamBody {
  readonly kind: 'stream';
  readonly source: AsyncIterable<unknown>;
  readonly encoderOptions: DataEncoderOptions;
}

export type PreparedBody = EncodedBody | StreamBody;

const utf8 = new TextEncoder();

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function'
  );
}

function badMessage(message: string): SmtpUsageError {
  return new SmtpUsageError({ code: ErrorCodes.INVALID_ARGUMENT, field: 'message', message, phase: 'body' });
}

/**
 * Encodes strings and bytes now (throws SmtpUsageError for NUL, over-long lines, ...) and wraps
 * anything async-iterable for streaming. Anything else is refused before a connection is used.
 */
export function prepareMessage(message: unknown, encoderOptions: DataEncoderOptions = {}): PreparedBody {
  if (typeof message === 'string') return encodeWhole(utf8.encode(message), encoderOptions, false);
  if (message instanceof Uint8Array) return encodeWhole(message, encoderOptions, true);
  if (isAsyncIterable(message)) return { kind: 'stream', source: message, encoderOptions };
  throw badMessage('message must be a string, a Uint8Array or an async iterable of Uint8Array chunks');
}

const EMPTY = new Uint8Array(0);

/**
 * While a send holds a caller's stream it has not read yet (queued, connecting, in the envelope,
 * waiting out a retry), an 'error' the stream emits has no listener, and Node turns that into an
 * uncaught exception that ends the process (`fs.createReadStream` of a missing file fails on the
 * next tick). This listens meanwhile: the error is kept by the stream (`errored`), and the body
 * writer's read reports it as SMTP_MESSAGE_STREAM_FAILED. Returns the release, for when the send
 * settles; undefined when `message` is not an event emitter.
 */
export function holdStreamErrors(message: unknown): (() => void) | undefined {
  const emitter = message as { on?: unknown; off?: unknown } | null | undefined;
  if (typeof emitter?.on !== 'function' || typeof emitter.off !== 'function') return undefined;
  const { on, off } = emitter as {
    on(event: 'error', listener: () => void): unknown;
    off(event: 'error', listener: () => void): unknown;
  };
  const ignore = (): void => {};
  on.call(emitter, 'error', ignore);
  return () => {
    off.call(emitter, 'error', ignore);
  };
}

/** `sent`, holding the stream's errors (holdStreamErrors) until it settles. */
export function whileHeld<T>(message: unknown, send: () => Promise<T>): Promise<T> {
  const release = holdStreamErrors(message);
  const sent = send();
  if (release) sent.then(release, release);
  return sent;
}

/** Scan only when nothing needs to change (no copy); otherwise the full encoder (normalise, stuff, or throw). */
function encodeWhole(bytes: Uint8Array, options: DataEncoderOptions, borrowed: boolean): EncodedBody {
  const scannable = options.dotStuffing !== false && options.terminator !== false;
  const maxLineOctets = options.maxLineOctets ?? MAX_TEXT_LINE_OCTETS;
  const clean = scannable ? scanCleanData(bytes, maxLineOctets) : undefined;
  if (clean) {
    const { tail, has8bit } = clean;
    return {
      kind: 'encoded',
      bytes,
      tail,
      has8bit,
      stuffedOctets: 0,
      borrowed,
      octets: bytes.length,
      maxLineOctets,
      binary: false,
    };
  }
  const encoded = encodeData(bytes, options);
  return {
    kind: 'encoded',
    ...encoded,
    tail: EMPTY,
    borrowed: false,
    octets: encoded.bytes.length,
    maxLineOctets,
    binary: false,
  };
}

/**
 * A body sent as its octets, unchanged (BODY=BINARYMIME over BDAT, RFC 3030 §3): a string (as UTF-8)
 * or a Uint8Array, whose length is the BDAT size. Length-delimited, so no content can end it early;
 * a length changed after send() (a resizable or detached buffer) is refused before it is written.
 */
export function prepareBinary(message: unknown): EncodedBody {
  const bytes =
    typeof message === 'string' ? utf8.encode(message) : message instanceof Uint8Array ? message : undefined;
  if (bytes === undefined) throw badMessage('message: a binary message must be a string or a Uint8Array');
  return {
    kind: 'encoded',
    bytes,
    tail: EMPTY,
    has8bit: true,
    stuffedOctets: 0,
    borrowed: false,
    octets: bytes.length,
    maxLineOctets: Number.POSITIVE_INFINITY,
    binary: true,
  };
}

/**
 * The octets of an encoded body as they go on the wire (DATA: stuffed and terminated; BDAT: neither).
 * A borrowed body is scanned again first: a caller that changed its array after send() gets an error,
 * never unchecked bytes on the wire.
 */
export function wireParts(body: EncodedBody, bdat: boolean, options: { rescan: boolean }): Uint8Array[] {
  // BDAT announces the octet count: a caller's array that grew or was detached must not be written.
  if (body.bytes.length !== body.octets) throw bodyChanged();
  if (body.binary) {
    if (!bdat) throw badMessage('message: a binary message can only be sent with BDAT (RFC 3030 §3)');
    return [body.bytes];
  }
  if (body.borrowed && options.rescan) {
    const again = scanCleanData(body.bytes, body.maxLineOctets);
    if (again?.tail !== body.tail || again.has8bit !== body.has8bit) throw bodyChanged();
  }
  if (body.tail.length === 0) return [bdat ? unstuffData(body.bytes, body.stuffedOctets) : body.bytes];
  // Nothing was stuffed: BDAT drops only the terminator (".\r\n") at the end of the tail.
  return [body.bytes, bdat ? body.tail.subarray(0, body.tail.length - 3) : body.tail];
}

export function bodyChanged(): SmtpUsageError {
  return badMessage(
    'message: the Uint8Array was changed after send(); it must stay unchanged until send() settles',
  );
}

/**
 * Checks a borrowed body block by block, each right before it is written (the scan then overlaps
 * the socket's draining): every block must encode to itself, and the end to the same tail.
 * Returns undefined for bodies that are not borrowed.
 */
export function blockVerifier(
  body: EncodedBody,
): { block(bytes: Uint8Array): void; end(): void } | undefined {
  if (!body.borrowed) return undefined;
  const encoder = new DataEncoder({ maxLineOctets: body.maxLineOctets });
  const check = (encoded: Uint8Array, expected: Uint8Array): void => {
    if (encoded !== expected && !sameOctets(encoded, expected)) throw bodyChanged();
  };
  return {
    block: (bytes) => {
      let encoded: Uint8Array;
      try {
        encoded = encoder.push(bytes);
      } catch {
        throw bodyChanged(); // a NUL or an over-long line now: changed too
      }
      check(encoded, bytes);
    },
    end: () => {
      check(encoder.end(), body.tail);
      if (encoder.has8bit !== body.has8bit) throw bodyChanged();
    },
  };
}

function sameOctets(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** One chunk of a streamed body as bytes: Uint8Array as is, strings (setEncoding) as UTF-8. */
export function chunkBytes(chunk: unknown): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  if (typeof chunk === 'string') return utf8.encode(chunk);
  throw badMessage('a message stream produced a chunk that is neither a Uint8Array nor a string');
}
