/**
 * What createClient's send() takes, checked and turned into the session's SendRequest before anything
 * is queued or connected (RFC 5321 §4.1.2 addresses; whole bodies encoded per RFC 5321 §4.5.2).
 */
import { Buffer } from 'node:buffer';
import { ErrorCodes } from '../errors/codes.js';
import { SmtpUsageError } from '../errors/smtp-error.js';
import { validateAddress, validateRecipient } from '../protocol/address.js';
import { sizeOverLimit } from '../session/transaction.js';
import type { SendRequest } from '../session/types.js';
import { validatedRequest } from '../session/validation.js';
import {
  encodedSize,
  type MessageInput,
  prepareBinary,
  prepareMessage,
  unstuffedSize,
} from './message-source.js';

export interface SendOptions {
  /** Envelope sender (MAIL FROM); '' is the null sender. */
  readonly from: string;
  /** Envelope recipients (RCPT TO), at least one. */
  readonly to: string | readonly string[];
  /** The whole message (headers and body). Strings are sent as UTF-8. */
  readonly message: MessageInput;
  /**
   * Send the message's octets unchanged as BODY=BINARYMIME over BDAT (RFC 3030 §3): no line-ending
   * normalisation, NULs and lines of any length allowed. Needs a string or Uint8Array message and a
   * server that offers CHUNKING and BINARYMIME (otherwise SMTP_BINARY_NOT_SUPPORTED before MAIL).
   */
  readonly binary?: boolean | undefined;
  readonly signal?: AbortSignal | undefined;
}

function badInput(code: SmtpUsageError['code'], field: string, problem: string): SmtpUsageError {
  return new SmtpUsageError({ code, field, message: `${field}: ${problem}` });
}

/** Checks the envelope and encodes whole bodies. Throws SmtpUsageError naming the field. */
export function prepareRequest(options: SendOptions): SendRequest {
  const { from, to } = checkEnvelope(options);
  if (options.binary === true) {
    const body = prepareBinary(options.message);
    const size = body.bytes.length;
    return validatedRequest({ from, to, size, unstuffedSize: size, binary: true, body });
  }
  const body = prepareMessage(options.message);
  const request: SendRequest =
    body.kind === 'encoded'
      ? {
          from,
          to,
          size: encodedSize(body),
          unstuffedSize: unstuffedSize(body),
          eightBit: body.has8bit,
          body,
        }
      : { from, to, body };
  return validatedRequest(request); // the session's own checks (e.g. whole MAIL line length), once
}

/**
 * The envelope's checks (RFC 5321 §4.1.2: addresses; at least one recipient) and `binary`'s type:
 * everything send() refuses before looking at the body. Returns the recipients as a fresh array.
 */
export function checkEnvelope(options: SendOptions): { from: string; to: string[] } {
  if (options === null || typeof options !== 'object') {
    throw badInput(ErrorCodes.INVALID_ARGUMENT, 'options', 'must be an object with from, to and message');
  }
  const { from } = options;
  if (typeof from !== 'string') throw badInput(ErrorCodes.INVALID_ADDRESS, 'from', 'must be a string');
  // Non-ASCII is let through here; the session refuses it if the server lacks SMTPUTF8, before MAIL.
  validateAddress(from, 'from', { allowNull: true, smtputf8: true });
  const to: unknown = typeof options.to === 'string' ? [options.to] : options.to;
  if (!Array.isArray(to) || to.length === 0) {
    throw badInput(ErrorCodes.NO_RECIPIENTS, 'to', 'needs at least one recipient');
  }
  to.forEach((recipient: unknown, index) => {
    const field = `to[${index}]`;
    if (typeof recipient !== 'string') throw badInput(ErrorCodes.INVALID_ADDRESS, field, 'must be a string');
    validateRecipient(recipient, field, { smtputf8: true });
  });
  if (options.binary !== undefined && typeof options.binary !== 'boolean') {
    throw badInput(ErrorCodes.INVALID_ARGUMENT, 'binary', 'must be a boolean');
  }
  return { from, to: [...(to as string[])] };
}

/**
 * What a pool checks when a send is made, before queueing it (the client checks everything again,
 * exactly, when it is attempted): the envelope, and a string or bytes body whose size alone is over
 * `maxMessageSize` — its octets as given, a lower bound of what encoding gives (line endings and the
 * final CRLF only add). Nothing is encoded here.
 */
export function precheckSend(options: SendOptions, maxMessageSize: number): void {
  checkEnvelope(options);
  const large = sizeOverLimit(octetsAtLeast(options.message, maxMessageSize), maxMessageSize);
  if (large !== undefined) throw large;
}

/** A body's octet count as given (undefined for a stream), or any smaller number when that is surely ≤ `limit`. */
function octetsAtLeast(message: unknown, limit: number): number | undefined {
  if (message instanceof Uint8Array) return message.length;
  if (typeof message !== 'string') return undefined;
  // At most 3 UTF-8 octets per UTF-16 unit: a short string is not counted.
  return message.length * 3 <= limit ? message.length : Buffer.byteLength(message, 'utf8');
}
