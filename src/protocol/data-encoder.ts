/**
 * Streaming DATA encoder: CRLF normalisation (RFC 5321 §2.3.8), dot-stuffing and the terminator
 * (§4.5.2), the 998-octet line limit (§4.5.3.1.6), NUL rejection and wire-octet counting. Without
 * stuffing and terminator it encodes BDAT chunk data (RFC 3030 §2: sent as is, no transparency).
 */
import { ErrorCodes } from '../errors/codes.js';
import { SmtpUsageError } from '../errors/smtp-error.js';
import { MAX_TEXT_LINE_OCTETS } from './limits.js';

export interface DataEncoderOptions {
  /** 'normalize' (default): bare CR and bare LF become CRLF. 'strict': they throw SMTP_BODY_BARE_LINE_ENDING. */
  lineEndings?: 'normalize' | 'strict';
  /** Longest line in octets, excluding CRLF and any stuffed dot. Default 998; Infinity disables. */
  maxLineOctets?: number;
  /** Dot-stuff lines that start with '.' (default true). BDAT data is not stuffed (RFC 3030 §2). */
  dotStuffing?: boolean;
  /** End with ".\r\n" (default true). BDAT data has no terminator; a missing final CRLF is still added. */
  terminator?: boolean;
}

const NUL = 0x00;
const LF = 0x0a;
const CR = 0x0d;
const DOT = 0x2e;
const EMPTY = new Uint8Array(0);
const NO_WORDS = new Int32Array(0);
const TERMINATOR = [DOT, CR, LF] as const;
/** The most end() can write: CRLF for an unterminated last line, then the terminator. */
const TAIL_OCTETS = 5;

// Word-at-a-time scanning, shared by the encoder's hot loop and scanClean: runs of octets that need no
// attention (no NUL, CR or LF) are skipped 4 octets per step instead of 1 — what makes the encoder run
// at memory-copy-like speed. The loops look at single octets only around the words this stops at.

/** Offset of the first octet of `bytes` on a 4-octet boundary of its buffer (an Int32Array must be aligned). */
function firstWordOffset(bytes: Uint8Array): number {
  return (4 - (bytes.byteOffset & 3)) & 3;
}

/** The whole 4-octet words of `bytes` from `base` on, as a view (no copy). Byte order does not matter: every octet of a word is tested alike. */
function wordsOf(bytes: Uint8Array, base: number): Int32Array {
  const n = bytes.length;
  return n >= base + 4 ? new Int32Array(bytes.buffer, bytes.byteOffset + base, (n - base) >> 2) : NO_WORDS;
}

/** The OR of the words passed over by the last skipPlainWords call (its 0x80 bits reveal 8-bit octets). */
let skippedBits = 0;

/**
 * From word `k`, skips every word whose 4 octets are all >= 0x0e (so none is NUL, LF or CR) and returns
 * the index of the first word holding an octet below 0x0e, or words.length. The OR of the skipped words
 * is left in skippedBits (a second result without allocating).
 *
 * The test is the "has an octet less than n" trick (Bit Twiddling Hacks, valid for n <= 0x80), n = 0x0e:
 * `(x - 0x0e0e0e0e) & ~x & 0x80808080` is non-zero exactly when some octet of x is below 0x0e. An octet
 * below 0x0e borrows in the subtraction and so sets its top bit, which ~x keeps (the octet was < 0x80);
 * with no such octet nothing borrows, and an octet's top bit survives the subtraction only if it was
 * already set in x, which ~x clears. Which octet fired may be wrong past the first one (borrows
 * propagate), so this says only "stop here"; the caller then reads the word octet by octet.
 * Int32 arithmetic is fine: `&` takes the difference modulo 2^32, the same as unsigned subtraction.
 */
function skipPlainWords(words: Int32Array, k: number): number {
  const count = words.length;
  let bits = 0;
  while (k < count) {
    const x = words[k]!;
    if (((x - 0x0e0e0e0e) & ~x & 0x80808080) !== 0) break;
    bits |= x;
    k++;
  }
  skippedBits = bits;
  return k;
}

/**
 * Growable output for one push. Sized for the common case (few changes) and grown at most once to
 * the worst case, which is bounded: every input octet becomes at most two output octets.
 */
class Sink {
  buf: Uint8Array;
  len = 0;
  /** Usable capacity: `reserve` octets at the end of buf are kept free for the caller. */
  private cap: number;
  constructor(
    private readonly src: Uint8Array,
    private readonly reserve: number,
  ) {
    const n = src.length;
    this.cap = Math.min(2 * n + 1, n + (n >> 4) + 16);
    this.buf = new Uint8Array(this.cap + reserve);
  }

  /** Copies src[from, to) and then one extra octet. */
  runThen(from: number, to: number, extra: number): void {
    this.run(from, to);
    if (this.len === this.cap) this.grow();
    this.buf[this.len++] = extra;
  }

  run(from: number, to: number): void {
    const count = to - from;
    if (count <= 0) return;
    if (this.len + count > this.cap) this.grow();
    if (count < 32) {
      // Short runs (LF-only bodies) are cheaper copied by hand than through a subarray view.
      const buf = this.buf;
      const src = this.src;
      let o = this.len;
      for (let i = from; i < to; i++) buf[o++] = src[i]!;
      this.len = o;
    } else {
      this.buf.set(this.src.subarray(from, to), this.len);
      this.len += count;
    }
  }

  private grow(): void {
    this.cap = 2 * this.src.length + 1;
    const bigger = new Uint8Array(this.cap + this.reserve);
    bigger.set(this.buf.subarray(0, this.len));
    this.buf = bigger;
  }
}

/**
 * A tiny state machine over the body's octets; its state (are we at a line start, did the last chunk
 * end in CR, how long is the open line) survives chunk boundaries, so the output does not depend on
 * how the body is chunked.
 *
 * Decisions: CR CR LF is a bare CR followed by CRLF (an empty line after normalisation), which is what
 * makes `\r\r\n.\r\r\n` harmless. A CR is emitted at once and its LF is supplied (or the caller's LF
 * kept) by whatever follows. Line length counts the caller's octets, not the stuffed dot (RFC 5321
 * §4.5.3.1.6 says so explicitly). An empty body encodes as ".\r\n" alone: a valid, empty message.
 */
export class DataEncoder {
  readonly #strict: boolean;
  readonly #maxLine: number;
  readonly #stuff: boolean;
  readonly #tail: readonly number[];
  #stuffed = 0;
  #atLineStart = true;
  #pendingCR = false;
  #lineOctets = 0;
  #bits = 0;
  #encoded = 0;
  #failure: SmtpUsageError | undefined;
  #ended = false;

  constructor(options: DataEncoderOptions = {}) {
    const max = options.maxLineOctets ?? MAX_TEXT_LINE_OCTETS;
    if (!(max === Number.POSITIVE_INFINITY || (Number.isInteger(max) && max >= 1))) {
      throw usage(ErrorCodes.INVALID_ARGUMENT, 'maxLineOctets', 'maxLineOctets must be a positive integer');
    }
    this.#strict = options.lineEndings === 'strict';
    this.#maxLine = max;
    this.#stuff = options.dotStuffing !== false;
    this.#tail = options.terminator === false ? [] : TERMINATOR;
  }

  /** Dots added by stuffing so far: the DATA encoding is this much longer than the BDAT one, plus 3. */
  get stuffedOctets(): number {
    return this.#stuffed;
  }

  /** Octets returned so far by push() and end(): exactly what goes on the wire. */
  get encodedOctets(): number {
    return this.#encoded;
  }

  /**
   * The RFC 1870 §5 message size so far: the octets encoded without the dots stuffing added and,
   * once ended, without the terminator ".\r\n".
   */
  get messageOctets(): number {
    return this.#encoded - this.#stuffed - (this.#ended ? this.#tail.length : 0);
  }

  /** Whether any octet >= 0x80 has been seen. */
  get has8bit(): boolean {
    return (this.#bits & 0x80808080) !== 0;
  }

  /** Encodes the next chunk; the result may be empty. Throws SmtpUsageError; afterwards always throws. */
  push(chunk: Uint8Array): Uint8Array {
    return this.#guard(() => {
      const out = this.#unchanged(chunk) ?? this.#encode(chunk, 0);
      this.#encoded += out.length;
      return out;
    });
  }

  /** Flushes, adds CRLF if the body did not end with a line ending, then the terminator ".\r\n". */
  end(): Uint8Array {
    return this.#guard(() => {
      const out = new Uint8Array(TAIL_OCTETS);
      const len = this.#finish(out, 0);
      this.#encoded += len;
      return out.subarray(0, len);
    });
  }

  /** push(body) then end(), returned as one buffer (one allocation; what encodeData uses). */
  encodeAll(body: Uint8Array): Uint8Array {
    return this.#guard(() => {
      const head = this.#encode(body, TAIL_OCTETS);
      const buf = new Uint8Array(head.buffer, head.byteOffset, head.length + TAIL_OCTETS);
      const len = this.#finish(buf, head.length);
      this.#encoded += len;
      return buf.subarray(0, len);
    });
  }

  #guard(work: () => Uint8Array): Uint8Array {
    if (this.#failure !== undefined) throw this.#failure;
    if (this.#ended)
      throw usage(ErrorCodes.INVALID_ARGUMENT, 'message', 'the message body has already ended');
    try {
      return work();
    } catch (error) {
      if (error instanceof SmtpUsageError) this.#failure = error;
      throw error;
    }
  }

  /**
   * The chunk itself when it needs no change (scan only, no copy: keeps a streamed body's memory flat),
   * with the state it leaves; undefined when the full encoder must run.
   */
  #unchanged(chunk: Uint8Array): Uint8Array | undefined {
    if (this.#pendingCR || chunk.length === 0) return undefined;
    const carried = this.#lineOctets;
    // A line may start at the chunk's first octet: a dot there is stuffed by the full encoder.
    if (this.#stuff && this.#atLineStart && chunk[0] === DOT) return undefined;
    const lastLine = scanClean(chunk, this.#maxLine, this.#atLineStart ? 0 : carried, this.#stuff);
    if (lastLine < 0) return undefined;
    const n = chunk.length;
    this.#lineOctets = lastLine === 0 ? carried + n : n - lastLine;
    this.#atLineStart = lastLine === n;
    this.#bits |= scannedBits;
    return chunk;
  }

  /** Writes the tail at out[at]; returns the new length. */
  #finish(out: Uint8Array, at: number): number {
    let o = at;
    if (this.#pendingCR) {
      if (this.#strict) throw bareLineEnding();
      out[o++] = LF;
    } else if (!this.#atLineStart) {
      out[o++] = CR;
      out[o++] = LF;
    }
    for (const b of this.#tail) out[o++] = b;
    this.#ended = true;
    return o;
  }

  /** The hot loop. `reserve` extra octets of capacity are left after the result for the caller. */
  #encode(chunk: Uint8Array, reserve: number): Uint8Array {
    const n = chunk.length;
    if (n === 0 && reserve === 0) return EMPTY;
    const strict = this.#strict;
    const max = this.#maxLine;
    const sink = new Sink(chunk, reserve);
    let i = 0;
    let run = 0;
    let lineStart = 0;
    let carried = this.#lineOctets;
    let bits = 0;
    let pendingCR = false;

    if (this.#pendingCR) {
      // The CR ending the previous chunk is already out; this chunk supplies or lacks its LF.
      if (chunk[0] === LF) {
        i = 1;
        lineStart = 1;
      } else if (n > 0) {
        if (strict) throw bareLineEnding();
        sink.runThen(0, 0, LF);
      } else {
        pendingCR = true;
      }
    }
    const stuff = this.#stuff;
    let stuffed = 0;
    if (stuff && this.#atLineStart && i < n && chunk[i] === DOT) {
      sink.runThen(run, i, DOT);
      run = i;
      stuffed++;
    }

    const wordBase = firstWordOffset(chunk);
    const words = wordsOf(chunk, wordBase);
    while (i < n) {
      if (i >= wordBase && ((i - wordBase) & 3) === 0) {
        i = wordBase + (skipPlainWords(words, (i - wordBase) >> 2) << 2);
        bits |= skippedBits;
        if (i >= n) break;
      }
      const b = chunk[i]!;
      bits |= b;
      if (b > CR) {
        i++;
        continue;
      }
      let next: number;
      if (b === LF) {
        // CRLF pairs are consumed at their CR, so any LF seen here is bare.
        if (carried + i - lineStart > max) throw lineTooLong();
        if (strict) throw bareLineEnding();
        sink.runThen(run, i, CR);
        run = i;
        next = i + 1;
      } else if (b === CR) {
        if (carried + i - lineStart > max) throw lineTooLong();
        if (i + 1 === n) {
          pendingCR = true;
          next = n;
        } else if (chunk[i + 1] === LF) {
          next = i + 2;
        } else {
          if (strict) throw bareLineEnding();
          sink.runThen(run, i + 1, LF);
          run = i + 1;
          next = i + 1;
        }
      } else if (b === NUL) {
        // At the same position the line limit wins, so the error does not depend on chunking.
        if (carried + i - lineStart > max) throw lineTooLong();
        throw nulOctet();
      } else {
        i++;
        continue;
      }
      carried = 0;
      lineStart = next;
      if (stuff && next < n && chunk[next] === DOT) {
        sink.runThen(run, next, DOT);
        run = next;
        stuffed++;
      }
      i = next;
    }

    sink.run(run, n);
    carried += n - lineStart;
    if (carried > max) throw lineTooLong();
    this.#lineOctets = carried;
    this.#atLineStart = lineStart === n && (n > 0 || this.#atLineStart);
    this.#pendingCR = pendingCR;
    this.#bits |= bits;
    this.#stuffed += stuffed;
    return sink.buf.subarray(0, sink.len);
  }
}

/**
 * Encodes a whole body: the result ends with the terminator ".\r\n" (unless `terminator: false`).
 * `stuffedOctets` is the number of dots stuffing added. Throws SmtpUsageError.
 */
export function encodeData(
  body: Uint8Array,
  options?: DataEncoderOptions,
): { bytes: Uint8Array; has8bit: boolean; stuffedOctets: number } {
  const encoder = new DataEncoder(options);
  const bytes = encoder.encodeAll(body);
  return { bytes, has8bit: encoder.has8bit, stuffedOctets: encoder.stuffedOctets };
}

const TAIL_TERMINATOR = new Uint8Array([DOT, CR, LF]);
const TAIL_CRLF_TERMINATOR = new Uint8Array([CR, LF, DOT, CR, LF]);

/** What the scan-only path found: `tail` is what follows the unchanged body on the wire. */
export interface CleanScan {
  readonly tail: Uint8Array;
  readonly has8bit: boolean;
}

/**
 * Scan only, no output: when `body` needs no change for DATA — no NUL, no bare CR or LF, no line
 * starting with '.', no line longer than `maxLineOctets` (default 998) — its encoding is the body
 * itself followed by `tail` (CRLF if the last line lacks one, then ".\r\n"), exactly what
 * encodeData returns. Otherwise undefined: the full encoder decides (it normalises, stuffs or throws).
 */
export function scanCleanData(body: Uint8Array, maxLineOctets = MAX_TEXT_LINE_OCTETS): CleanScan | undefined {
  const lastLine = scanClean(body, maxLineOctets, 0, true);
  if (lastLine < 0) return undefined;
  return {
    tail: lastLine === body.length ? TAIL_TERMINATOR : TAIL_CRLF_TERMINATOR,
    has8bit: (scannedBits & 0x80808080) !== 0,
  };
}

/** The OR of the octets seen by the last successful scanClean (8-bit detection). */
let scannedBits = 0;

/**
 * The scan behind scanCleanData and DataEncoder's no-copy push: the start of the chunk's last line
 * when the chunk needs no change (given `carried` octets of an open line before it), otherwise -1.
 * Same word-at-a-time skip (skipPlainWords) as the encoder.
 */
function scanClean(body: Uint8Array, max: number, carried: number, stuff: boolean): number {
  const n = body.length;
  if (stuff && carried === 0 && n > 0 && body[0] === DOT) return -1;
  const wordBase = firstWordOffset(body);
  const words = wordsOf(body, wordBase);
  let bits = 0;
  let lineStart = 0;
  let open = carried;
  let i = 0;
  while (i < n) {
    if (i >= wordBase && ((i - wordBase) & 3) === 0) {
      i = wordBase + (skipPlainWords(words, (i - wordBase) >> 2) << 2);
      bits |= skippedBits;
      if (i >= n) break;
    }
    const b = body[i]!;
    bits |= b;
    if (b > CR) {
      i++;
      continue;
    }
    if (b === CR) {
      // Only CRLF may end a line; the line before it must fit, the one after it must not start with '.'.
      if (body[i + 1] !== LF || open + i - lineStart > max) return -1;
      i += 2;
      lineStart = i;
      open = 0;
      if (stuff && i < n && body[i] === DOT) return -1;
    } else if (b === LF || b === NUL) {
      return -1;
    } else {
      i++;
    }
  }
  if (open + n - lineStart > max) return -1;
  scannedBits = bits;
  return lineStart;
}

/**
 * The BDAT form (RFC 3030 §2) of a DATA encoding made by this module: without the terminator and
 * without the dot stuffing added at line starts. `stuffedOctets` says how many dots to drop.
 */
export function unstuffData(data: Uint8Array, stuffedOctets: number): Uint8Array {
  const end = data.length - TERMINATOR.length;
  if (stuffedOctets === 0) return data.subarray(0, end);
  const out = new Uint8Array(end - stuffedOctets);
  let o = 0;
  let from = 0;
  // Every line of a DATA encoding ends in CRLF, so a stuffed dot is one at a line start.
  for (let i = 0; i < end; i++) {
    if (data[i] === DOT && (i === 0 || data[i - 1] === LF)) {
      out.set(data.subarray(from, i), o);
      o += i - from;
      from = i + 1;
    }
  }
  out.set(data.subarray(from, end), o);
  return out;
}

function usage(code: SmtpUsageError['code'], field: string, message: string): SmtpUsageError {
  return new SmtpUsageError({ code, field, message, phase: 'body' });
}

function nulOctet(): SmtpUsageError {
  return usage(ErrorCodes.BODY_NUL, 'message', 'the message body contains a NUL octet');
}

function bareLineEnding(): SmtpUsageError {
  return usage(
    ErrorCodes.BODY_BARE_LINE_ENDING,
    'message',
    'the message body contains a bare CR or LF (strict line endings)',
  );
}

function lineTooLong(): SmtpUsageError {
  return usage(ErrorCodes.BODY_LINE_TOO_LONG, 'message', 'the message body has a line longer than the limit');
}
