/**
 * Keeps credentials out of what servers echo back (threats.md §5): a `535 Authentication failed
 * for AKIA…` reply names the SES user (an IAM access key id). The reply keeps its code and the rest
 * of its text, so that classification and advice still work; only the credentials are replaced.
 */
import type { Reply } from '../protocol/reply-types.js';
import { encodeBase64Text } from './base64.js';
import type { Credentials } from './sasl.js';

export const REDACTED_TEXT = '[redacted]';

/** The forms a credential can take on the wire: as given, base64, and PLAIN's `\0user\0pass` in base64. */
export function credentialForms(credentials: Credentials): string[] {
  const { user, pass } = credentials;
  const forms = [
    user,
    pass,
    encodeBase64Text(user),
    encodeBase64Text(pass),
    encodeBase64Text(`\0${user}\0${pass}`),
  ];
  return forms.filter((form) => form.length > 0).sort((a, b) => b.length - a.length);
}

export function scrubText(text: string, forms: readonly string[]): string {
  let scrubbed = text;
  for (const form of forms) scrubbed = scrubbed.split(form).join(REDACTED_TEXT);
  return scrubbed;
}

export function scrubReply(reply: Reply, forms: readonly string[]): Reply {
  const lines = reply.lines.map((line) => scrubText(line, forms));
  if (lines.every((line, i) => line === reply.lines[i])) return reply;
  return Object.freeze({ ...reply, lines: Object.freeze(lines) });
}
