/**
 * Keeps credentials out of what servers echo back (threats.md §5): a `535 Authentication failed
 * for AKIA…` reply names the SES user (an IAM access key id). The reply keeps its code and the rest
 * of its text, so that classification and advice still work; only the credentials are replaced.
 */
import type { Phase } from '../errors/smtp-error.js';
import type { Reply } from '../protocol/reply-types.js';
import { encodeBase64Text } from './base64.js';
import { type Credentials, plainResponse, xoauth2Response } from './sasl.js';

export const REDACTED_TEXT = '[redacted]';

/**
 * The forms a credential can take on the wire: as given, base64, and the PLAIN and XOAUTH2 initial
 * responses, with the exchange's own `sent` lines (CRAM-MD5's responses, AuthExchange.sent).
 * Scrubbed from what the server says while authenticating.
 */
export function credentialForms(credentials: Credentials, sent: readonly string[] = []): string[] {
  const { user } = credentials;
  return longestFirst([user, encodeBase64Text(user), ...secretForms(credentials), ...sent]);
}

/**
 * Outside AUTH only the forms that carry the password are scrubbed, and only those of this many
 * characters or more: the user name is often the sender's own address, and a shorter password may
 * be an ordinary word of a reply (auth-scrub-scope.test.ts).
 */
export const MIN_ECHO_FORM = 8;

/** The phases after AUTH, in which the server knows the password (a session with credentials only gets there through AUTH). */
export const AFTER_AUTH: ReadonlySet<Phase> = new Set<Phase>([
  'ready',
  'mail',
  'rcpt',
  'data',
  'body',
  'data-end',
  'rset',
  'quit',
]);

/** The password's forms a server that has seen AUTH may echo later (threats.md §5), longest first. */
export function passwordForms(credentials: Credentials): string[] {
  return longestFirst(secretForms(credentials).filter((form) => form.length >= MIN_ECHO_FORM));
}

/**
 * Whether an error's escaped, cut quote may hold part of a password form: any run of six of its
 * characters, as JSON escapes them (the reply parser's quote is JSON, cut at 100 octets).
 */
export function mayQuoteSecret(message: string, forms: readonly string[]): boolean {
  for (const form of forms) {
    const escaped = JSON.stringify(form).slice(1, -1);
    for (let start = 0; start + 6 <= escaped.length; start++) {
      if (message.includes(escaped.slice(start, start + 6))) return true;
    }
  }
  return false;
}

function secretForms(credentials: Credentials): string[] {
  const { pass } = credentials;
  return [pass, encodeBase64Text(pass), plainResponse(credentials), xoauth2Response(credentials)];
}

export function longestFirst(forms: string[]): string[] {
  return [...new Set(forms)].filter((form) => form.length > 0).sort((a, b) => b.length - a.length);
}

export function scrubText(text: string, forms: readonly string[]): string {
  let scrubbed = text;
  for (const form of forms) if (scrubbed.includes(form)) scrubbed = scrubbed.split(form).join(REDACTED_TEXT);
  return scrubbed;
}

/** The reply itself when no line holds a form (nothing allocated: every reply after AUTH passes here). */
export function scrubReply(reply: Reply, forms: readonly string[]): Reply {
  if (!reply.lines.some((line) => forms.some((form) => line.includes(form)))) return reply;
  const lines = reply.lines.map((line) => scrubText(line, forms));
  if (lines.every((line, i) => line === reply.lines[i])) return reply;
  const scrubbed = Object.freeze({ ...reply, lines: Object.freeze(lines) });
  SCRUBBED.add(scrubbed);
  return scrubbed;
}

/** Replies scrubReply made: the transcript marks their entries `redacted`. */
const SCRUBBED = new WeakSet<Reply>();

/** Whether `reply` is one scrubReply took a secret out of. */
export const wasScrubbed = (reply: Reply): boolean => SCRUBBED.has(reply);
