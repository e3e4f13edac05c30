/**
 * An input file that is a FIFO nobody opens for writing (`--eml fifo`, `--ca fifo`): Ctrl-C or
 * SIGTERM ends the command with 75 (README), not only a second signal. Opening a FIFO for reading
 * waits for a writer in the thread pool, which no signal reached; the abort now opens the FIFO for
 * writing itself, so that the open returns and the read ends as interrupted. Found by a CLI review.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import type { CliError } from '../../src/cli/args.js';
import { readInputBytes } from '../../src/cli/connection.js';
import { makeTempDir, type TempDir } from '../support/servers/harness.js';

let dir: TempDir | undefined;
afterEach(() => {
  dir?.remove();
  dir = undefined;
});

test('an abort ends the wait for a writer: interrupted, exit 75', async () => {
  dir = makeTempDir('fifo');
  const fifo = join(dir.path, 'message.eml');
  execFileSync('mkfifo', [fifo]);
  const interrupt = new AbortController();
  const reading = readInputBytes(fifo, '--eml', { signal: interrupt.signal }).then(
    () => undefined,
    (error: unknown) => error as CliError,
  );
  setTimeout(() => interrupt.abort(), 50);
  const started = performance.now();
  const error = await reading;
  expect(performance.now() - started).toBeLessThan(2_000);
  expect(error).toMatchObject({ exitCode: 75, message: 'interrupted while reading the file given to --eml' });
});

test('an abort that came before the read: the FIFO is not opened at all, exit 75', async () => {
  dir = makeTempDir('fifo');
  const fifo = join(dir.path, 'message.eml');
  execFileSync('mkfifo', [fifo]);
  const interrupt = new AbortController();
  interrupt.abort();
  const error = await readInputBytes(fifo, '--eml', { signal: interrupt.signal }).then(
    () => undefined,
    (e: unknown) => e as CliError,
  );
  expect(error).toMatchObject({ exitCode: 75, message: 'interrupted while reading the file given to --eml' });
});
