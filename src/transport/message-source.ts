/**
 * Normalises a message body (string, bytes, or an async iterable of chunks such as a Node Readable)
 * for DATA (RFC 5321 §4.5.2): whole bodies are encoded once up front, so their wire size and
 * 8-bit-ness are known before MAIL (RFC 1870 SIZE=, RFC 6152); streams are encoded while sent.
 */
import { ErrorCodes } from '../errors/codes.js';
import { SmtpUsageError } from '../errors/smtp-error.js';
import { type DataEncoderOptions, encodeData } from '../protocol/data-encoder.js';

export type MessageInput = string | Uint8Array | AsyncIterable<Uint8Array | string>;

/** A body already dot-stuffed and terminated: written as is for DATA, unstuffed for BDAT (RFC 3030). */
export interface EncodedBody {
  readonly kind: 'encoded';
  readonly bytes: Uint8Array;
  readonly has8bit: boolean;
  /** Dots added by stuffing: the BDAT form is `bytes.length - 3 - stuffedOctets` octets. */
  readonly stuffedOctets: number;
}

/** Octets of an encoded body's BDAT form: no terminator, no stuffing. */
export const unstuffedSize = (body: EncodedBody): number => body.bytes.length - 3 - body.stuffedOctets;

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
  if (typeof message === 'string')
    return { kind: 'encoded', ...encodeData(utf8.encode(message), encoderOptions) };
  if (message instanceof Uint8Array) return { kind: 'encoded', ...encodeData(message, encoderOptions) };
  if (isAsyncIterable(message)) return { kind: 'stream', source: message, encoderOptions };
  throw badMessage('message must be a string, a Uint8Array or an async iterable of Uint8Array chunks');
}

/** One chunk of a streamed body as bytes: Uint8Array as is, strings (setEncoding) as UTF-8. */
export function chunkBytes(chunk: unknown): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  if (typeof chunk === 'string') return utf8.encode(chunk);
  throw badMessage('a message stream produced a chunk that is neither a Uint8Array nor a string');
}
