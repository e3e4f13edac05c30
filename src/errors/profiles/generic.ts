/**
 * The generic profile: the few reply codes whose meaning the RFCs pin down beyond their class
 * (RFC 5321 §3.8/§4.5.3.1.10, RFC 3207 §4, RFC 4954 §6, RFC 1870 §6). Everything else is decided
 * by the reply class and phase in classify.ts (RFC 5321 §4.2.1). See spec/reply-classes.md.
 */
import type { ProviderProfile, ReplyRule } from '../classify.js';
import { ErrorCodes } from '../codes.js';
import { frozenProfile } from './frozen.js';

const RULES: readonly ReplyRule[] = [
  {
    // The server is closing the channel: this message was not sent. Retry later on a new connection.
    id: 'rfc5321.421.closing',
    code: 421,
    action: 'retry',
    errorCode: ErrorCodes.SERVICE_UNAVAILABLE,
    advice: 'The server is shutting the connection; retry later on a new connection.',
    source: 'RFC 5321 §3.8, §4.2.2',
  },
  {
    id: 'rfc3207.530.starttls-first',
    code: 530,
    text: /starttls/i,
    action: 'fix-credentials',
    errorCode: ErrorCodes.TLS_REQUIRED,
    advice: "The server requires TLS before this command; use security 'starttls' or 'implicit'.",
    source: 'RFC 3207 §4',
  },
  {
    id: 'rfc4954.530.auth-required',
    code: 530,
    action: 'fix-credentials',
    errorCode: ErrorCodes.AUTH_REQUIRED,
    advice: 'The server requires authentication; configure credentials.',
    source: 'RFC 4954 §6',
  },
  {
    // RFC 4954 §4: "If the requested authentication mechanism is invalid (e.g., is not supported or
    // requires an encryption layer), the server rejects the AUTH command with a 504 reply."
    id: 'rfc4954.504.mechanism-unrecognized',
    code: 504,
    phases: ['auth'],
    action: 'fix-credentials',
    errorCode: ErrorCodes.AUTH_MECHANISM_UNSUPPORTED,
    advice: 'The server does not take this authentication mechanism; choose another (auth.method).',
    source: 'RFC 4954 §4',
  },
  {
    id: 'rfc4954.534.mechanism-too-weak',
    code: 534,
    action: 'fix-credentials',
    errorCode: ErrorCodes.AUTH_MECHANISM_UNSUPPORTED,
    advice: 'The server refuses this authentication mechanism; choose a stronger one.',
    source: 'RFC 4954 §6',
  },
  {
    id: 'rfc4954.535.credentials-invalid',
    code: 535,
    action: 'fix-credentials',
    errorCode: ErrorCodes.AUTH_FAILED,
    advice: 'The server refused the user name or password.',
    source: 'RFC 4954 §6',
  },
  {
    id: 'rfc4954.538.encryption-required',
    code: 538,
    action: 'fix-credentials',
    errorCode: ErrorCodes.TLS_REQUIRED,
    advice: 'This authentication mechanism needs an encrypted connection; use TLS.',
    source: 'RFC 4954 §6',
  },
  {
    id: 'rfc4954.454.temporary-auth-failure',
    code: 454,
    phases: ['auth'],
    action: 'retry',
    errorCode: ErrorCodes.TRANSIENT_FAILURE,
    advice: 'Temporary authentication failure on the server side; retry later.',
    source: 'RFC 4954 §6',
  },
  {
    id: 'rfc3207.454.tls-unavailable',
    code: 454,
    phases: ['starttls'],
    action: 'retry',
    errorCode: ErrorCodes.TLS_REQUIRED,
    advice: 'TLS is temporarily unavailable; retry later (never fall back to plaintext).',
    source: 'RFC 3207 §4',
  },
  {
    id: 'rfc1870.552.size-exceeded',
    code: 552,
    phases: ['mail', 'body', 'data-end'],
    action: 'reject',
    errorCode: ErrorCodes.MESSAGE_TOO_LARGE,
    advice: "The message is larger than the server's limit.",
    source: 'RFC 1870 §6, RFC 5321 §4.2.2',
  },
  {
    // The recipients accepted so far stand; the rest go in another transaction.
    id: 'rfc5321.452.too-many-recipients',
    code: 452,
    phases: ['rcpt'],
    // The text, or the enhanced code X.5.3 (RFC 3463 §3.6) that begins it.
    // (A 552 5.5.3 comes here as the 452 it stands for, its text still beginning 5.5.3: asRcptRefusal.)
    text: /too many recipients|^[45]\.5\.3(?:\s|$)/i,
    action: 'retry',
    errorCode: ErrorCodes.TOO_MANY_RECIPIENTS,
    advice: 'Send the remaining recipients in another transaction.',
    source: 'RFC 5321 §4.5.3.1.10',
  },
];

export const GENERIC_PROFILE: ProviderProfile = frozenProfile({ name: 'generic', rules: RULES });
