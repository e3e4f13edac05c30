/**
 * What the simulator says, in SES's words (the SES troubleshooting page's reply table and the
 * observed transcript in ses-facts.md), and the rewrite of smtp-server's own reply texts into them.
 */
import { randomBytes } from 'node:crypto';

export const SES_HOST_NAME = 'email-smtp.amazonaws.com';

export const SesReplies = {
  authRequired: 'Authentication required',
  authInvalid: 'Authentication Credentials Invalid',
  authSuccess: 'Authentication successful.',
  startTlsFirst: 'Must issue a STARTTLS command first',
  tooManyConnections: 'Too many concurrent SMTP connections',
  idleTimeout: '4.4.2 Timeout waiting for data from client',
  sessionCap: 'Connection closed by server. Maximum message count per session reached.',
  messageTooLong: 'Message is too long.',
  maxSendRate: 'Throttling failure: Maximum sending rate exceeded',
  dailyQuota: 'Throttling failure: Daily message quota exceeded',
  temporaryFailure: 'Temporary service failure',
  ok: 'Ok',
} as const;

export function recipientCountExceeded(max: number): string {
  return `Transaction failed: Recipient count exceeds ${max}.`;
}

export function notVerified(region: string, identities: readonly string[]): string {
  return (
    'Message rejected: Email address is not verified. The following identities failed the check in region ' +
    `${region.toUpperCase()}: ${identities.join(', ')}`
  );
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function randomText(length: number, alphabet: string): string {
  const bytes = randomBytes(length);
  let text = '';
  for (const byte of bytes) text += alphabet[byte % alphabet.length];
  return text;
}

/** `SimpleEmailService-d-XXXXXXXXX <random>`: a fresh one per connection, as SES does. */
export function greetingBanner(): string {
  return `SimpleEmailService-d-${randomText(9, ALPHANUMERIC.slice(0, 26) + ALPHANUMERIC.slice(52))} ${randomText(20, ALPHANUMERIC)}`;
}

/** SES's EHLO keyword order; whatever smtp-server adds beyond these is dropped. */
const EHLO_ORDER = ['8BITMIME', 'STARTTLS', 'AUTH'];

export interface RewrittenReply {
  readonly code: number;
  readonly data: string | string[];
  /** Close the connection after this reply (smtp-server closes by itself only after a 421). */
  readonly close: boolean;
}

function ehloLines(lines: readonly string[]): string[] {
  const [domain = SES_HOST_NAME, ...features] = lines;
  const kept = EHLO_ORDER.flatMap((keyword) => features.filter((f) => f.split(' ', 1)[0] === keyword));
  return [domain, ...kept, SesReplies.ok];
}

/** Maps one reply smtp-server is about to send to what SES sends in its place. */
export function rewriteReply(code: number, data: string | readonly string[] | undefined): RewrittenReply {
  if (Array.isArray(data)) {
    return { code, data: code === 250 ? ehloLines(data) : [...data], close: false };
  }
  const text = typeof data === 'string' ? data : '';
  if (code === 220 && text.startsWith(`${SES_HOST_NAME} ESMTP`)) {
    return { code, data: `${SES_HOST_NAME} ESMTP ${greetingBanner()}`, close: false };
  }
  if (code === 250 && (text === 'Accepted' || text === 'OK' || text === 'Flushed')) {
    return { code, data: SesReplies.ok, close: false };
  }
  if (code === 538) return { code: 530, data: SesReplies.startTlsFirst, close: false };
  if (code === 235) return { code, data: SesReplies.authSuccess, close: false };
  if (code === 421 && text === 'Timeout - closing connection') {
    return { code: 451, data: SesReplies.idleTimeout, close: true };
  }
  return { code, data: text, close: false };
}
