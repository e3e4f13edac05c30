/**
 * Output: data on stdout, diagnostics on stderr, control characters from servers escaped in human
 * text, the failure document's fields, a reader that went away (EPIPE), the progress bar's switch.
 */
import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { usageError } from '../../src/cli/args.js';
import { oneLine, replySummary } from '../../src/cli/error-text.js';
import {
  type CliIo,
  type CliStream,
  Output,
  ProgressBar,
  progressMode,
  untilReaderGone,
} from '../../src/cli/output.js';
import { ErrorCodes } from '../../src/errors/codes.js';
import { SmtpReplyError } from '../../src/errors/smtp-error.js';

function sink(isTTY?: boolean): CliStream & { text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString('utf8'));
      callback();
    },
  }) as CliStream & { text: () => string };
  stream.text = () => chunks.join('');
  if (isTTY !== undefined) stream.isTTY = isTTY;
  return stream;
}

function output(json: boolean) {
  const stdout = sink();
  const stderr = sink();
  const io: CliIo = {
    stdin: new PassThrough(),
    stdout,
    stderr,
    env: {},
    signal: new AbortController().signal,
  };
  return { out: new Output(io, json), stdout, stderr };
}

const ESC = '\x1b[2J';
const refusal = new SmtpReplyError({
  code: ErrorCodes.MESSAGE_REJECTED,
  message: 'data-end: 554 no',
  phase: 'data-end',
  outcome: 'rejected',
  reply: { code: 554, lines: ['no'] },
});

describe('Output', () => {
  it('human text on stdout and notes on stderr keep line breaks but escape other control characters', () => {
    const { out, stdout, stderr } = output(false);
    out.result({}, () => `one${ESC}\ntwo`);
    out.text(`three\r`);
    out.note(`four${ESC}`);
    expect(stdout.text()).toBe('one\\x1b[2J\ntwo\nthree\\x0d\n');
    expect(stderr.text()).toBe('four\\x1b[2J\n');
  });

  it('--json: the result is one JSON line and text() prints nothing', () => {
    const { out, stdout } = output(true);
    out.text('human only');
    out.result({ a: 1 }, () => 'human');
    expect(stdout.text()).toBe('{"a":1}\n');
  });

  it('a failure in text: error and hint lines on stderr, escaped, with the code of an SmtpError or a reworded one', () => {
    const { out, stderr, stdout } = output(false);
    out.failure(usageError(`bad${ESC}`, ['from the error'], 'SMTP_CONTROL_CHARACTER'), ['from the caller']);
    out.failure(refusal);
    expect(stdout.text()).toBe('');
    expect(stderr.text()).toBe(
      'error: bad\\x1b[2J [SMTP_CONTROL_CHARACTER]\nhint: from the error\nhint: from the caller\n' +
        'error: data-end: 554 no [SMTP_MESSAGE_REJECTED]\n',
    );
  });

  it('a failure in --json: {ok: false, error, hints} on stdout, with the SmtpError fields or the exit code', () => {
    const { out, stdout } = output(true);
    out.failure(usageError('bad', ['fix it'], 'SMTP_CONTROL_CHARACTER'));
    out.failure(refusal, ['later']);
    out.failure(new TypeError('boom'));
    const [usage, smtp, bug] = stdout
      .text()
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(usage).toEqual({
      ok: false,
      error: { name: 'CliError', message: 'bad', exitCode: 64, code: 'SMTP_CONTROL_CHARACTER' },
      hints: ['fix it'],
    });
    expect(smtp).toMatchObject({
      ok: false,
      error: {
        name: 'SmtpReplyError',
        code: 'SMTP_MESSAGE_REJECTED',
        outcome: 'rejected',
        phase: 'data-end',
      },
      hints: ['later'],
    });
    expect(bug).toEqual({ ok: false, error: { name: 'Error', message: 'boom' }, hints: [] });
  });
});

describe('untilReaderGone', () => {
  it('after the first write error, writes are dropped and onGone ran once', async () => {
    const written: string[] = [];
    const target = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        written.push(chunk.toString());
        callback();
      },
    }) as CliStream;
    const gone: Error[] = [];
    const guarded = untilReaderGone(target, (error) => gone.push(error));
    guarded.write('before');
    await new Promise((resolve) => setImmediate(resolve));
    target.emit('error', new Error('EPIPE'));
    target.emit('error', new Error('EPIPE again'));
    guarded.write('after');
    await new Promise((resolve) => setImmediate(resolve));
    expect(written).toEqual(['before']);
    expect(gone.map((e) => e.message)).toEqual(['EPIPE']);
  });
});

describe('progress bar', () => {
  it('--progress forces it, --no-progress turns it off, else only on a terminal', () => {
    expect(progressMode(true)).toBe('always');
    expect(progressMode(false)).toBe('never');
    expect(progressMode(undefined)).toBe('auto');
    expect(new ProgressBar(sink(false), 1, 'auto').enabled).toBe(false);
    expect(new ProgressBar(sink(), 1, 'auto').enabled).toBe(false);
    expect(new ProgressBar(sink(true), 1, 'auto').enabled).toBe(true);
    expect(new ProgressBar(sink(false), 1, 'always').enabled).toBe(true);
    expect(new ProgressBar(sink(true), 1, 'never').enabled).toBe(false);
  });
});

describe('error-text', () => {
  it("replySummary and oneLine keep a server's text on one line", () => {
    expect(replySummary({ code: 250, lines: ['first', 'second'] })).toBe('250 first second');
    expect(oneLine('a\r\nb\nc\rd')).toBe('a b c d');
  });
});
