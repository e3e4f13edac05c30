/**
 * Server text made safe to print. A reply's text is whatever the server sent (RFC 5321 §4.2 allows
 * only TAB and printable ASCII in it, but the parser keeps what it gets, so that `Reply.lines` shows
 * exactly that). Before such text goes into an error message, a log line or a terminal, the
 * characters that could forge or rewrite a line are escaped: C0 controls but TAB (CR, LF, ESC of a
 * terminal sequence, NUL), DEL, C1 controls, the Unicode line and paragraph separators and the
 * bidirectional overrides and isolates (threats.md: log injection).
 */

const UNSAFE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const UNSAFE_BUT_NEWLINE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function escapeCharacter(character: string): string {
  const code = character.charCodeAt(0);
  return code < 0x100
    ? `\\x${code.toString(16).padStart(2, '0')}`
    : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** `text` with every character that could break or rewrite a printed line escaped (`\x1b`, `\u2028`). */
export function printable(text: string): string {
  return text.replace(UNSAFE, escapeCharacter);
}

/** The same, keeping LF: for text that is several lines on purpose (a CLI's own output). */
export function printableLines(text: string): string {
  return text.replace(UNSAFE_BUT_NEWLINE, escapeCharacter);
}
