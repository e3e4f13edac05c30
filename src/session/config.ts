/**
 * SessionOptions → the machine's SessionConfig: defaults (RFC 5321 §4.5.3.2 timeouts, 10 MB limit)
 * and validation before the session exists, so that no action can throw later.
 */
import { GENERIC_PROFILE } from '../errors/classify.js';
import { ErrorCodes } from '../errors/codes.js';
import { invalidArgument } from '../errors/invalid-argument.js';
import { checkedProfile } from '../errors/profile-check.js';
import { SmtpUsageError } from '../errors/smtp-error.js';
import { hasControlCharacter } from '../protocol/address.js';
import { encodeCommand } from '../protocol/command.js';
import { DEFAULT_MAX_MESSAGE_OCTETS } from '../protocol/limits.js';
import type { SessionConfig } from './machine-setup.js';
import { ownOptions } from './own-options.js';
import { type Credentials, MECHANISMS } from './sasl.js';
import { Secret } from './secret.js';
import { resolveTimeouts } from './timeouts.js';
import type { SessionOptions } from './types.js';

const SECURITIES: ReadonlySet<unknown> = new Set(['implicit', 'starttls', 'starttls-opportunistic', 'none']);

export function resolveConfig(options: SessionOptions): SessionConfig {
  encodeCommand({ verb: 'EHLO', domain: options.clientName });
  if (!SECURITIES.has(options.security))
    throw invalidArgument('security', 'must be implicit, starttls, starttls-opportunistic or none');
  const auth = options.auth === undefined ? undefined : credentialsOf(options.auth);
  if (auth !== undefined) {
    if (typeof auth.user !== 'string' || typeof auth.pass !== 'string')
      throw invalidArgument('auth', 'needs user and pass strings');
    checkCredentialText(auth.user, 'auth.user');
    checkCredentialText(auth.pass, 'auth.pass');
    if (auth.method !== undefined && !MECHANISMS.includes(auth.method))
      throw invalidArgument('auth.method', 'is not supported');
    if (auth.method === 'CRAM-MD5' && options.hmacMd5 === undefined)
      throw invalidArgument('auth.method', 'CRAM-MD5 needs hmacMd5');
  }
  // The facade's own option (session.ts), checked with the rest before the session exists.
  if (options.coalesceReplies !== undefined && typeof options.coalesceReplies !== 'boolean')
    throw invalidArgument('coalesceReplies', 'must be a boolean');
  const maxMessageSize = options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_OCTETS;
  if (!Number.isSafeInteger(maxMessageSize) || maxMessageSize <= 0)
    throw invalidArgument('maxMessageSize', 'must be a positive integer');
  return {
    clientName: options.clientName,
    security: options.security,
    credentials: auth === undefined ? undefined : new Secret(auth),
    maxMessageSize,
    timeouts: resolveTimeouts(options.timeouts),
    pipelining: options.pipelining !== false,
    // Opt-in here (createClient turns it on): BDAT asks more of a transport than DATA does.
    chunking: options.chunking === true,
    allowAuthWithoutTls: options.dangerouslyAllowAuthWithoutTls === true,
    profile: options.profile === undefined ? GENERIC_PROFILE : checkedProfile(options.profile),
    hmacMd5: options.hmacMd5,
  };
}

/** Own keys only (own-options.ts): a `method` on a polluted Object.prototype picks no mechanism. */
function credentialsOf(auth: Credentials): Credentials {
  const own = ownOptions(auth) as Partial<Credentials>;
  return { user: own.user as string, pass: own.pass as string, method: own.method };
}

/**
 * No control character in a user name or password: NUL separates PLAIN's fields (RFC 4616 §2), so
 * `user\0otherpass` would authenticate with a password the caller never gave; SOH separates
 * XOAUTH2's; SASLprep (RFC 4013 §2.3) prohibits them all. The error names the field, never the value.
 */
export function checkCredentialText(value: string, field: 'auth.user' | 'auth.pass'): void {
  if (hasControlCharacter(value)) {
    throw new SmtpUsageError({
      code: ErrorCodes.CONTROL_CHARACTER,
      field,
      message: `${field}: contains a control character`,
    });
  }
}
