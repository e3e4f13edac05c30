/**
 * Files named by send's flags: one larger than --max-size is refused unread as too large (69), a
 * device is read only up to a bound, and one SIGTERM ends a read that would never finish (a FIFO
 * whose writer stays open) with 75.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { startScriptedServer } from '../support/scripted-server.js';
import { MAIN, runCli, SEND_TO_NOWHERE } from './cli-harness.js';

const ENVELOPE = ['--from', 'a@example.com', '--to', 'b@example.org'];
/** `send --eml file` to a port nothing listens on (the file is refused or read before connecting). */
const emlToNowhere = (file: string) => [...SEND_TO_NOWHERE, '--eml', file, ...ENVELOPE];

describe('send: --eml input', () => {
  test('an --eml file larger than --max-size is refused as too large (69), not "cannot read the file" (66)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cli-eml-'));
    const file = join(dir, 'huge.eml');
    const handle = await open(file, 'w');
    await handle.truncate(3 * 1024 ** 3); // sparse: 3 GiB, no disk used
    await handle.close();
    try {
      const run = await runCli([...emlToNowhere(file), '--json']);
      expect(run.code).toBe(69);
      expect(run.stdout).toContain('SMTP_MESSAGE_TOO_LARGE');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('a character device as --eml (/dev/zero, which never ends) is read only up to --max-size: 69, not memory without end', async () => {
    const run = await runCli([...emlToNowhere('/dev/zero'), '--max-size', '100000', '--json']);
    expect(run.code).toBe(69);
    expect(run.stdout).toContain('SMTP_MESSAGE_TOO_LARGE');
  }, 20_000);

  test('a character device as --batch (no --max-size applies) is read only up to the input bound: 64', async () => {
    const run = await runCli([...SEND_TO_NOWHERE, '--batch', '/dev/zero', '--json']);
    expect(run.code).toBe(64);
    expect(run.stdout).toContain('--batch');
    expect(run.stdout).toMatch(/more than \d+ octets/);
  }, 30_000);

  test('a character device that ends (/dev/null) is read like an empty file: no message, 64', async () => {
    const run = await runCli([...emlToNowhere('/dev/null'), '--no-retry', '--json']);
    expect(run.code).toBe(64); // read to its end, then refused before any connection
    expect(run.stdout).toContain('the file given to --eml is empty');
  }, 20_000);

  test('SIGTERM while --eml (or --batch) is read from a FIFO whose writer stays open: the process ends (one signal)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cli-eml-'));
    const fifo = join(dir, 'msg.eml');
    execFileSync('mkfifo', [fifo]);
    // A writer that keeps the FIFO open and writes nothing (a producer still working). Its open
    // returns once the command has opened the FIFO to read it (its signal handlers are set by then):
    // it says so, and only then comes the SIGTERM (a fixed sleep raced a slow start on a busy machine).
    const writer = spawn('sh', ['-c', `exec 3>"${fifo}"; echo opened; sleep 30`], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const opened = new Promise<void>((resolve) => writer.stdout.once('data', () => resolve()));
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...emlToNowhere(fifo)], {
      stdio: 'ignore',
    });
    try {
      await opened;
      child.kill('SIGTERM');
      const code = await Promise.race([
        new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c))),
        new Promise<string>((resolve) => setTimeout(() => resolve('still running 5 s after SIGTERM'), 5000)),
      ]);
      expect(code).toBe(75);
    } finally {
      child.kill('SIGKILL');
      writer.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  }, 20_000);

  test('an --eml FIFO (process substitution) is read through to its end and sent unchanged', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cli-eml-'));
    const fifo = join(dir, 'msg.eml');
    execFileSync('mkfifo', [fifo]);
    const raw = 'Subject: from a pipe\r\n\r\nhello\r\n';
    const writer = spawn('sh', ['-c', `printf '%s' "$0" > "${fifo}"`, raw], { stdio: 'ignore' });
    const server = await startScriptedServer();
    try {
      const run = await runCli([
        'send',
        '--host',
        '127.0.0.1',
        '--port',
        String(server.port),
        '--security',
        'none',
        '--eml',
        fifo,
        '--from',
        'a@example.com',
        '--to',
        'b@example.org',
        '--no-retry',
      ]);
      expect(run.code).toBe(0);
      expect(server.transactions[0]?.content.toString('latin1')).toBe(raw);
    } finally {
      writer.kill('SIGKILL');
      await server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
