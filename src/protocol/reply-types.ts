/**
 * The shape of an SMTP reply (RFC 5321 §4.2) and of its optional enhanced status code
 * (RFC 3463 §2). Types only: the parser lives in reply-parser.ts.
 */

/** RFC 3463 §2: `class.subject.detail`, class 2, 4 or 5; subject and detail 0–999. */
export interface EnhancedStatus {
  readonly class: 2 | 4 | 5;
  readonly subject: number;
  readonly detail: number;
}

/**
 * One complete reply. `lines` holds the text of every line after the code and its
 * separator, without CRLF, unchanged (an enhanced status code, when present, stays in the text).
 */
export interface Reply {
  readonly code: number;
  readonly enhanced?: EnhancedStatus;
  readonly lines: readonly string[];
}
