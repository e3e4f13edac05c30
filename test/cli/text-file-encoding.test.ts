/**
 * Text files named by flags (--text-file, --html-file, --batch, --ca) are UTF-8: anything else is
 * refused (exit 64) before a connection is opened, instead of being sent with U+FFFD in it.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CliError } from '../../src/cli/args.js';
import { readInput } from '../../src/cli/connection.js';
import { runCli } from '../../src/cli/main.js';
import { SEND_TO_NOWHERE } from './cli-harness.js';
import { memoryIo } from './memory-io.js';

async function file(name: string, bytes: Buffer): Promise<string> {
  const path = join(await mkdtemp(join(tmpdir(), 'smtp-machine-text-')), name);
  await writeFile(path, bytes);
  return path;
}

describe('a text file that is not UTF-8', () => {
  it('readInput refuses it: exit 64, naming the flag', async () => {
    const latin1 = await file('latin1.txt', Buffer.from('caf\xe9\n', 'latin1'));
    const error = (await readInput(latin1, '--text-file').catch((e: unknown) => e)) as CliError;
    expect(error).toBeInstanceOf(CliError);
    expect(error.exitCode).toBe(64);
    expect(error.message).toBe('the file given to --text-file is not UTF-8 text');
    const utf8 = await file('utf8.txt', Buffer.from('café\n', 'utf8'));
    await expect(readInput(utf8, '--text-file')).resolves.toBe('café\n');
  });

  it('send --text-file with one: exit 64 before any connection', async () => {
    const latin1 = await file('latin1.txt', Buffer.from('caf\xe9\n', 'latin1'));
    const { io, stdout } = memoryIo();
    // Nothing listens on SEND_TO_NOWHERE's port: a connection attempt would end in another exit code.
    const code = await runCli(
      [
        ...SEND_TO_NOWHERE,
        '--json',
        '--from',
        'a@example.com',
        '--to',
        'b@example.org',
        '--text-file',
        latin1,
      ],
      io,
    );
    expect(code).toBe(64);
    expect(JSON.parse(stdout())).toMatchObject({ ok: false, error: { exitCode: 64 } });
  });
});
