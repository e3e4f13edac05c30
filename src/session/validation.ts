/**
 * Checks a send request before anything is queued (threats.md §3): every address through the
 * command encoder's validation (RFC 5321 §4.1.2, §4.5.3.1), with the widest MAIL line we could write.
 */
import { ErrorCodes } from '../errors/codes.js';
import { SmtpUsageError } from '../errors/smtp-error.js';
import { isAscii, validateCommand } from '../protocol/command.js';
import type { SendRequest } from './types.js';

/** Whether an address of the request is not ASCII (RFC 6531: the transaction needs SMTPUTF8). */
export function needsSmtpUtf8(request: SendRequest): boolean {
  // A validated request is frozen: its answer, kept when it was checked, still holds.
  const known = checked.get(request);
  if (known !== undefined) return known;
  if (!isAscii(request.from)) return true;
  for (const to of request.to) if (!isAscii(to)) return true;
  return false;
}

/** Checks the request; returns whether it needs SMTPUTF8 (needsSmtpUtf8). */
export function validateSendRequest(request: SendRequest): boolean {
  if (typeof request !== 'object' || request === null)
    throw usage(ErrorCodes.INVALID_ARGUMENT, 'request', 'must be an object');
  if (typeof request.from !== 'string') throw usage(ErrorCodes.INVALID_ADDRESS, 'from', 'must be a string');
  if (!Array.isArray(request.to) || request.to.length === 0) {
    throw usage(ErrorCodes.NO_RECIPIENTS, 'to', 'needs at least one recipient');
  }
  if (request.to.some((to) => typeof to !== 'string'))
    throw usage(ErrorCodes.INVALID_ADDRESS, 'to', 'must be strings');
  for (const field of ['size', 'unstuffedSize'] as const) {
    const value = request[field];
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 0)) {
      throw usage(ErrorCodes.INVALID_ARGUMENT, field, 'must be a non-negative integer');
    }
  }
  if (request.eightBit !== undefined && typeof request.eightBit !== 'boolean') {
    throw usage(ErrorCodes.INVALID_ARGUMENT, 'eightBit', 'must be a boolean');
  }
  if (request.binary !== undefined && typeof request.binary !== 'boolean') {
    throw usage(ErrorCodes.INVALID_ARGUMENT, 'binary', 'must be a boolean');
  }
  if (request.binary === true && request.unstuffedSize === undefined) {
    throw usage(ErrorCodes.INVALID_ARGUMENT, 'binary', 'needs a body of known size (unstuffedSize)');
  }
  const smtputf8 = needsSmtpUtf8(request);
  validateCommand({
    verb: 'MAIL',
    from: request.from,
    ...(request.size === undefined ? {} : { size: request.size }),
    body: '8BITMIME',
    smtputf8,
  });
  for (const to of request.to) validateCommand({ verb: 'RCPT', to, smtputf8 });
  return smtputf8;
}

/**
 * A send's `signal`: an AbortSignal, or none (undefined, or null as fetch allows). Anything else would
 * fail later, untyped, in addEventListener or AbortSignal.any, possibly after the send was queued.
 */
export function validateSignal(signal: unknown): asserts signal is AbortSignal | null | undefined {
  if (signal !== undefined && signal !== null && !(signal instanceof AbortSignal))
    throw usage(ErrorCodes.INVALID_ARGUMENT, 'signal', 'must be an AbortSignal');
}

/**
 * Requests that passed validateSendRequest and were frozen (nothing in them can have changed since),
 * with whether they need SMTPUTF8: asked again by the pre-check and the transaction (needsSmtpUtf8).
 */
const checked = new WeakMap<SendRequest, boolean>();

/**
 * validateSendRequest, then freezes the request and its recipient list so that the check stays true:
 * Session.send() does not repeat it for such a request (every command is still validated again when
 * encoded, right before it is written).
 */
export function validatedRequest(request: SendRequest): SendRequest {
  const smtputf8 = validateSendRequest(request);
  Object.freeze(request.to);
  checked.set(Object.freeze(request), smtputf8);
  return request;
}

/** Whether `request` came out of validatedRequest (and so is frozen and already checked). */
export const isValidatedRequest = (request: SendRequest): boolean => checked.has(request);

function usage(code: SmtpUsageError['code'], field: string, problem: string): SmtpUsageError {
  return new SmtpUsageError({ code, field, message: `${field}: ${problem}` });
}
