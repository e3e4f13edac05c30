/**
 * Amazon SES SMTP passwords derived from an IAM secret access key (SES Developer Guide,
 * "Obtaining Amazon SES SMTP credentials"): SigV4 (region-specific, version byte 0x04) and the
 * legacy V2 form (region-independent, version byte 0x02). Also cheap shape checks for hints.
 */
import { createHmac } from 'node:crypto';
import { ErrorCodes } from '../errors/codes.js';
import { SmtpUsageError } from '../errors/smtp-error.js';
import { checkSesRegion } from './endpoints.js';

// Fixed values from the published algorithm: the date is a constant, not today's date.
const SIGV4_DATE = '11111111';
const SIGV4_SERVICE = 'ses';
const SIGV4_TERMINAL = 'aws4_request';
const SIGNED_MESSAGE = 'SendRawEmail';
const VERSION_V4 = 0x04;
const VERSION_V2 = 0x02;

function hmac(key: string | Uint8Array, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

function requireNonEmpty(value: unknown, field: string): asserts value is string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new SmtpUsageError({
      code: ErrorCodes.INVALID_ARGUMENT,
      field,
      message: `${field} must be a non-empty string`,
    });
  }
}

function withVersion(version: number, signature: Uint8Array): string {
  const bytes = Buffer.alloc(signature.length + 1);
  bytes[0] = version;
  bytes.set(signature, 1);
  return bytes.toString('base64');
}

/**
 * The SES SMTP password (SigV4) for `secretAccessKey` in `region`. The SMTP user name is the
 * access key id. Unknown regions are not refused: new regions appear faster than any list. A region
 * not in AWS's form ('US-EAST-1', 'us-east-1 ') is: it would derive a password SES refuses with 535.
 */
export function deriveSesSmtpPassword(secretAccessKey: string, region: string): string {
  requireNonEmpty(secretAccessKey, 'secretAccessKey');
  checkSesRegion(region);
  let key = hmac(`AWS4${secretAccessKey}`, SIGV4_DATE);
  for (const part of [region, SIGV4_SERVICE, SIGV4_TERMINAL, SIGNED_MESSAGE]) {
    key = hmac(key, part);
  }
  return withVersion(VERSION_V4, key);
}

/** The legacy (pre-2019) region-independent SES SMTP password. */
export function deriveSesSmtpPasswordV2(secretAccessKey: string): string {
  requireNonEmpty(secretAccessKey, 'secretAccessKey');
  return withVersion(VERSION_V2, hmac(secretAccessKey, SIGNED_MESSAGE));
}

// 33 bytes (version + SHA-256) → exactly 44 base64 characters, no padding.
const SMTP_PASSWORD_SHAPE = /^[AB][A-Za-z0-9+/]{43}$/;
const SECRET_KEY_SHAPE = /^[A-Za-z0-9+/]{40}$/;

/** True when `pass` has the shape of a derived SES SMTP password ('B…' V4 or 'A…' V2, 44 chars). */
export function looksLikeSesSmtpPassword(pass: string): boolean {
  return SMTP_PASSWORD_SHAPE.test(pass);
}

/**
 * True when `pass` has the shape of a raw IAM secret access key (40 base64-ish characters),
 * the usual cause of `535 Authentication Credentials Invalid` with SES. The first character is
 * not checked: a derived password is always 44 characters, so a 40-character secret that happens
 * to start with 'A' or 'B' cannot be one either.
 */
export function looksLikeSecretAccessKey(pass: string): boolean {
  return SECRET_KEY_SHAPE.test(pass);
}
