/**
 * Incremental SMTP reply parser (RFC 5321 §4.2 grammar, §4.2.1 multi-line replies): bytes in,
 * complete replies out, the same replies however the bytes are split, in bounded memory and linear time.
 */
import { ErrorCodes } from '../errors/codes.js';
import { SmtpProtocolError, SmtpUsageError } from '../errors/smtp-error.js';
import { parseEnhancedStatus } from './enhanced-status.js';
import { DEFAULT_MAX_REPLY_LINE_OCTETS, DEFAULT_MAX_REPLY_OCTETS } from './limits.js';
import type { Reply } from './reply-types.js';

export { parseEnhancedStatus } from './enhanced-status.js';

export interface ReplyParserLimits {
  /** Octets of one line including its terminator (default DEFAULT_MAX_REPLY_LINE_OCTETS). */
  readonly maxLineOctets?: number;
  /** Octets of one whole reply, every line and terminator included (default DEFAULT_MAX_REPLY_OCTETS). */
  readonly maxReplyOctets?: number;
}

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const HYPHEN = 0x2d;
const DIGIT_0 = 0x30;
const EMPTY = new Uint8Array(0);
const MIN_PARTIAL_OCTETS = 256;
const RETAINED_PARTIAL_OCTETS = 8192;
/** How much of an offending line an error message may quote. */
const PREVIEW_OCTETS = 100;

/**
 * Line terminator: RFC 5321 requires CRLF; a bare LF is also accepted (one trailing CR is stripped)
 * because for replies that is harmless and common in broken servers. Any other CR stays in the text.
 * Text is decoded as UTF-8, non-fatally (invalid sequences become U+FFFD): RFC 5321 text is ASCII,
 * and SMTPUTF8 servers (RFC 6531 §3.7.4) may send UTF-8. A line never splits a character, so lines
 * are decoded one at a time.
 */
export class ReplyParser {
  readonly #maxLineOctets: number;
  readonly #maxReplyOctets: number;
  readonly #decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
  /**
   * The current, unterminated line in a buffer grown by doubling: amortised linear time however the
   * bytes are chunked, and a copy because the caller may reuse its buffer after push() returns.
   */
  #partial = EMPTY;
  #fragmentOctets = 0;
  /** Completed lines of an unfinished multi-line reply. */
  #code: number | undefined;
  #lines: string[] = [];
  #lineOctets = 0;
  #failure: SmtpProtocolError | undefined;

  constructor(limits: ReplyParserLimits = {}) {
    this.#maxLineOctets = checkLimit(limits.maxLineOctets ?? DEFAULT_MAX_REPLY_LINE_OCTETS, 'maxLineOctets');
    this.#maxReplyOctets = checkLimit(limits.maxReplyOctets ?? DEFAULT_MAX_REPLY_OCTETS, 'maxReplyOctets');
  }

  /** Bytes held that are not yet part of a complete reply (0 after a failure: the buffers are released). */
  get bufferedBytes(): number {
    return this.#lineOctets + this.#fragmentOctets;
  }

  /**
   * The text of a reply begun but not finished (its complete lines, then the line being received),
   * lines joined with a space, at most `maxChars` characters; undefined when nothing is held. For
   * reporting a connection closed in the middle of a reply (threats.md §6). Raw server text: escape
   * it before printing.
   */
  unfinished(maxChars = 200): string | undefined {
    if (this.bufferedBytes === 0) return undefined;
    const code = this.#code === undefined ? '' : `${this.#code}-`;
    const lines = this.#lines.map((line) => `${code}${line}`);
    if (this.#fragmentOctets > 0) {
      const fragment = this.#decoder.decode(this.#partial.subarray(0, this.#fragmentOctets));
      lines.push(fragment.endsWith('\r') ? fragment.slice(0, -1) : fragment);
    }
    const text = lines.join(' ');
    return text.length > maxChars ? `${text.slice(0, maxChars)}…` : text;
  }

  /**
   * Complete replies found in `chunk` (in order). Throws SmtpProtocolError (SMTP_REPLY_MALFORMED or
   * SMTP_REPLY_TOO_LONG) on bad input, dropping any reply completed earlier in the same chunk; after a
   * throw every later push throws the same error.
   */
  push(chunk: Uint8Array): Reply[] {
    if (this.#failure !== undefined) throw this.#failure;
    try {
      return this.#consume(chunk);
    } catch (error) {
      if (error instanceof SmtpProtocolError) this.#fail(error);
      throw error;
    }
  }

  #consume(chunk: Uint8Array): Reply[] {
    const replies: Reply[] = [];
    let start = 0;
    while (start < chunk.length) {
      const lf = chunk.indexOf(LF, start);
      if (lf === -1) {
        this.#hold(chunk.subarray(start));
        break;
      }
      const octets = this.#fragmentOctets + lf + 1 - start;
      this.#checkSize(octets);
      // A line wholly in this chunk is read in place (no view of it is made unless it is malformed).
      const reply =
        this.#fragmentOctets === 0
          ? this.#acceptLine(chunk, start, lf, octets)
          : this.#acceptHeldLine(chunk.subarray(start, lf), octets);
      if (reply !== undefined) replies.push(reply);
      start = lf + 1;
    }
    return replies;
  }

  /** Keeps an unterminated tail, failing before it is stored if it would pass a cap. */
  #hold(tail: Uint8Array): void {
    this.#checkSize(this.#fragmentOctets + tail.length);
    this.#append(tail);
  }

  #append(bytes: Uint8Array): void {
    const needed = this.#fragmentOctets + bytes.length;
    if (needed > this.#partial.length) {
      const doubled = Math.max(2 * this.#partial.length, MIN_PARTIAL_OCTETS);
      const grown = new Uint8Array(Math.max(needed, Math.min(doubled, this.#maxLineOctets)));
      grown.set(this.#partial.subarray(0, this.#fragmentOctets));
      this.#partial = grown;
    }
    this.#partial.set(bytes, this.#fragmentOctets);
    this.#fragmentOctets = needed;
  }

  #checkSize(lineOctets: number): void {
    if (lineOctets > this.#maxLineOctets) {
      throw tooLong(`SMTP reply line longer than ${this.#maxLineOctets} octets`);
    }
    if (this.#lineOctets + lineOctets > this.#maxReplyOctets) {
      throw tooLong(`SMTP reply longer than ${this.#maxReplyOctets} octets`);
    }
  }

  /** The held start of a line and its end (`end`, without the LF): the whole line, taken. */
  #acceptHeldLine(end: Uint8Array, octets: number): Reply | undefined {
    this.#append(end);
    const line = this.#partial;
    const length = this.#fragmentOctets;
    this.#fragmentOctets = 0;
    // Do not keep a buffer grown by one long line for the life of the connection.
    if (this.#partial.length > RETAINED_PARTIAL_OCTETS) this.#partial = EMPTY;
    return this.#acceptLine(line, 0, length, octets);
  }

  /**
   * RFC 5321 §4.2: Reply-code ( "-" text CRLF | [ SP text ] CRLF ); the last line has no hyphen. The
   * line is `bytes[from, to)`, without its LF.
   */
  #acceptLine(bytes: Uint8Array, from: number, to: number, octets: number): Reply | undefined {
    const end = to > from && bytes[to - 1] === CR ? to - 1 : to;
    const code = replyCode(bytes, from, end, to);
    const separator = end - from > 3 ? bytes[from + 3] : SP;
    if (separator !== SP && separator !== HYPHEN)
      throw malformed('no space or hyphen after the reply code', bytes.subarray(from, to));
    if (this.#code !== undefined && code !== this.#code) {
      throw malformed(
        `multi-line reply changed its code from ${this.#code} to ${code}`,
        bytes.subarray(from, to),
      );
    }
    const text = end - from > 4 ? this.#decoder.decode(bytes.subarray(from + 4, end)) : '';
    if (separator === HYPHEN) {
      this.#code = code;
      this.#lines.push(text);
      this.#lineOctets += octets;
      return undefined;
    }
    const lines = this.#lines;
    lines.push(text);
    this.#code = undefined;
    this.#lines = [];
    this.#lineOctets = 0;
    return makeReply(code, lines);
  }

  #fail(error: SmtpProtocolError): void {
    this.#failure = error;
    this.#partial = EMPTY;
    this.#fragmentOctets = 0;
    this.#lines = [];
    this.#lineOctets = 0;
  }
}

/** The lines of a reply joined with '\n' (codes and separators removed). */
export function replyText(reply: Reply): string {
  return reply.lines.join('\n');
}

/** RFC 5321 §4.2: Reply-code = %x32-35 %x30-35 %x30-39, at `bytes[from]` (the line ends at `to`). */
function replyCode(bytes: Uint8Array, from: number, end: number, to: number): number {
  if (end - from < 3) throw malformed('line shorter than a reply code', bytes.subarray(from, to));
  const d0 = (bytes[from] ?? 0) - DIGIT_0;
  const d1 = (bytes[from + 1] ?? 0) - DIGIT_0;
  const d2 = (bytes[from + 2] ?? 0) - DIGIT_0;
  if (d0 < 2 || d0 > 5 || d1 < 0 || d1 > 5 || d2 < 0 || d2 > 9)
    throw malformed('invalid reply code', bytes.subarray(from, to));
  return d0 * 100 + d1 * 10 + d2;
}

function makeReply(code: number, lines: string[]): Reply {
  const enhanced = parseEnhancedStatus(code, lines[0] ?? '');
  Object.freeze(lines);
  return Object.freeze(enhanced === undefined ? { code, lines } : { code, enhanced, lines });
}

function checkLimit(value: number, field: string): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new SmtpUsageError({
      code: ErrorCodes.INVALID_ARGUMENT,
      message: `ReplyParser ${field} must be a positive integer`,
      field,
    });
  }
  return value;
}

function tooLong(message: string): SmtpProtocolError {
  return new SmtpProtocolError({ code: ErrorCodes.REPLY_TOO_LONG, message });
}

/** Quotes at most PREVIEW_OCTETS of the line, escaped, so that a hostile server cannot flood logs. */
function malformed(what: string, line: Uint8Array): SmtpProtocolError {
  const head = new TextDecoder('utf-8', { fatal: false }).decode(line.subarray(0, PREVIEW_OCTETS));
  const preview = JSON.stringify(head) + (line.length > PREVIEW_OCTETS ? '…' : '');
  return new SmtpProtocolError({
    code: ErrorCodes.REPLY_MALFORMED,
    message: `Malformed SMTP reply: ${what}: ${preview}`,
  });
}
