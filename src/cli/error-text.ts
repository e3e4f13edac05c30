/**
 * Text for one-line reports: what a thrown value says (its message, Node's string error code such
 * as ECONNREFUSED), and a server's reply on one line — its lines joined by spaces, so that a
 * multi-line reply cannot add lines of its own to the output (threats.md §6).
 */
import type { Reply } from '../protocol/reply-types.js';

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function errorCodeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** `250 first line second line`: a reply as one line of text (escape it before printing raw). */
export function replySummary(reply: Reply): string {
  return `${reply.code} ${reply.lines.join(' ')}`.trimEnd();
}

/** Text that may hold a server's line breaks (a reply's `text`), as one line. */
export function oneLine(text: string): string {
  return text.replace(/\r?\n|\r/g, ' ');
}
