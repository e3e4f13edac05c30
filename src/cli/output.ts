/**
 * CLI output: results on stdout (JSON with --json, text otherwise), diagnostics and the progress bar
 * on stderr. The bar is drawn only on a terminal (or when forced), so pipes get clean data. Human
 * text quotes servers (replies, the transcript): its control characters are escaped, so a server
 * cannot rewrite the terminal or forge a line (JSON escapes them by itself).
 */
import { type Readable, Writable } from 'node:stream';
import { printable, printableLines } from '../errors/printable.js';
import { isSmtpError } from '../errors/smtp-error.js';
import { CliError } from './args.js';
import { messageOf } from './error-text.js';

export interface CliStream extends Writable {
  isTTY?: boolean;
  columns?: number;
}

/** What a command may touch of the process: injected so the same code runs in tests and in main. */
export interface CliIo {
  readonly stdin: Readable & { isTTY?: boolean };
  readonly stdout: CliStream;
  readonly stderr: CliStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Aborted on SIGINT/SIGTERM. */
  readonly signal: AbortSignal;
}

export class Output {
  readonly json: boolean;
  readonly #io: CliIo;

  constructor(io: CliIo, json: boolean) {
    this.#io = io;
    this.json = json;
  }

  /** The command's result: one JSON document, or the human text. */
  result(data: unknown, human: () => string): void {
    if (this.json) this.#io.stdout.write(`${JSON.stringify(data)}\n`);
    else this.#io.stdout.write(ensureNewline(printableLines(human())));
  }

  /** One JSON Lines record on stdout (batch results are JSON Lines in both modes). */
  record(data: unknown): void {
    this.#io.stdout.write(`${JSON.stringify(data)}\n`);
  }

  /** Human text on stdout; nothing in --json mode. */
  text(text: string): void {
    if (!this.json) this.#io.stdout.write(ensureNewline(printableLines(text)));
  }

  /** A diagnostic on stderr (both modes: stdout stays machine-readable). */
  note(text: string): void {
    this.#io.stderr.write(ensureNewline(printableLines(text)));
  }

  /** Reports a failure: JSON on stdout with --json, `error:` and `hint:` lines on stderr otherwise. */
  failure(error: unknown, hints: readonly string[] = []): void {
    const allHints = [...(error instanceof CliError ? error.hints : []), ...hints];
    if (this.json) {
      this.#io.stdout.write(`${JSON.stringify({ ok: false, error: errorJson(error), hints: allHints })}\n`);
      return;
    }
    const lines = [`error: ${errorMessage(error)}`, ...allHints.map((hint) => `hint: ${hint}`)];
    this.#io.stderr.write(`${printableLines(lines.join('\n'))}\n`);
  }
}

export function errorMessage(error: unknown): string {
  if (isSmtpError(error)) return `${error.message} [${error.code}]`;
  if (error instanceof CliError && error.code !== undefined) return `${error.message} [${error.code}]`;
  return messageOf(error);
}

export function errorJson(error: unknown): Record<string, unknown> {
  if (isSmtpError(error)) return error.toJSON();
  if (error instanceof CliError) {
    const code = error.code === undefined ? {} : { code: error.code };
    return { name: error.name, message: error.message, exitCode: error.exitCode, ...code };
  }
  return { name: 'Error', message: messageOf(error) };
}

/**
 * `stream` until its reader goes away (EPIPE: `| head -1`) or it fails otherwise: from then on
 * writes are dropped and `onGone` runs once, so a command can stop and settle what it started
 * instead of dying mid-send or writing into the void.
 */
export function untilReaderGone(stream: CliStream, onGone: (error: Error) => void): CliStream {
  let gone = false;
  stream.on('error', (error: Error) => {
    if (gone) return; // later writes already in the pipe fail the same way
    gone = true;
    onGone(error);
  });
  const guarded: CliStream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (!gone) stream.write(chunk);
      callback();
    },
  });
  if (stream.isTTY !== undefined) guarded.isTTY = stream.isTTY;
  if (stream.columns !== undefined) guarded.columns = stream.columns;
  return guarded;
}

function ensureNewline(text: string): string {
  return text.endsWith('\n') ? text : `${text}\n`;
}

export type ProgressMode = 'auto' | 'always' | 'never';

/** From --progress / --no-progress: forced on, forced off, or only on a terminal. */
export function progressMode(flag: boolean | undefined): ProgressMode {
  return flag === undefined ? 'auto' : flag ? 'always' : 'never';
}

/** A one-line progress bar redrawn in place on stderr, at most every `intervalMs`. */
export class ProgressBar {
  readonly #stream: CliStream;
  readonly #total: number;
  readonly #enabled: boolean;
  readonly #intervalMs: number;
  #lastDraw = 0;
  #done = 0;
  #status = '';
  #drawn = false;

  constructor(stream: CliStream, total: number, mode: ProgressMode, intervalMs = 80) {
    this.#stream = stream;
    this.#total = total;
    this.#enabled = mode === 'always' || (mode === 'auto' && stream.isTTY === true);
    this.#intervalMs = intervalMs;
  }

  get enabled(): boolean {
    return this.#enabled;
  }

  update(done: number, status: string): void {
    this.#done = done;
    this.#status = printable(status);
    const now = Date.now();
    if (!this.#enabled || (now - this.#lastDraw < this.#intervalMs && done < this.#total)) return;
    this.#lastDraw = now;
    this.#draw();
  }

  /** Draws the final state and moves to a fresh line. */
  finish(): void {
    if (!this.#enabled) return;
    this.#draw();
    this.#stream.write('\n');
    this.#drawn = false;
  }

  #draw(): void {
    const width = 30;
    const fraction = this.#total === 0 ? 1 : Math.min(1, this.#done / this.#total);
    const filled = Math.round(fraction * width);
    const bar = `${'#'.repeat(filled)}${'-'.repeat(width - filled)}`;
    let line = `[${bar}] ${this.#done}/${this.#total} ${this.#status}`;
    const columns = this.#stream.columns;
    if (columns !== undefined && line.length >= columns) line = line.slice(0, columns - 1);
    this.#stream.write(`${this.#drawn ? '\r\x1b[2K' : ''}${line}`);
    this.#drawn = true;
  }
}

/** Renders rows as an aligned text table (first row = header). */
export function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
