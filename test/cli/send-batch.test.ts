/**
 * `smtp-machine send --batch`: what the exit code and the line results claim when the batch does
 * not finish normally (the reader of stdout goes away, the SES daily quota stops the pool), and
 * the message flags a batch cannot honour (refused, as with --eml, instead of silently ignored).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { messagesFromBatch } from '../../src/cli/message-input.js';
import { startSesSimulator } from '../../src/ses/simulator/simulator.js';
import { startScriptedServer } from '../support/scripted-server.js';
import { MAIN, runCli } from './cli-harness.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cli-batch-'));
});

/** The arguments of `send --batch file` to a plaintext scripted server, with `extra` flags. */
function batchArgs(server: { readonly port: number }, file: string, ...extra: string[]): string[] {
  const target = ['--host', '127.0.0.1', '--port', String(server.port), '--security', 'none'];
  return ['send', ...target, '--batch', file, ...extra, '--no-progress'];
}

/** `send --batch file` to a plaintext scripted server, with `extra` flags. */
function sendBatch(server: { readonly port: number }, file: string, ...extra: string[]) {
  return runCli(batchArgs(server, file, ...extra));
}

/** A JSON Lines batch of `count` one-recipient messages; returns its path. */
async function batchFile(name: string, count: number): Promise<string> {
  const lines = Array.from({ length: count }, (_, i) =>
    JSON.stringify({ from: 'a@example.com', to: `r${i}@example.org`, text: `message ${i}` }),
  );
  const file = join(dir, name);
  await writeFile(file, `${lines.join('\n')}\n`);
  return file;
}

interface PipedRun {
  readonly code: number | null;
  readonly stderr: string;
}

/** Runs the CLI with stdout read like `| head -1`: after the first chunk the pipe is closed. */
function runClosingStdoutAfterFirstLine(args: readonly string[]): Promise<PipedRun> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  child.stdout.once('data', () => child.stdout.destroy());
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

describe('smtp-machine send --batch', () => {
  test('the reader of stdout goes away (EPIPE): the batch stops, nothing new is sent, and the exit is 75, not 0', async () => {
    // Slow replies: the batch is far from done when the first result line reaches the reader.
    const server = await startScriptedServer({ replyDelayMs: 20 });
    const total = 40;
    const file = await batchFile('epipe.jsonl', total);
    try {
      const run = await runClosingStdoutAfterFirstLine(batchArgs(server, file, '--json'));
      expect(run.code).toBe(75);
      expect(run.stderr).toContain('stdout closed by its reader (EPIPE): stopping');
      expect(server.transactions.length).toBeLessThan(total);
    } finally {
      await server.close();
    }
  });

  test('lines stopped by the SES daily quota are temporary failures (75 per line and for the run), not usage (64)', async () => {
    const sim = await startSesSimulator({ sandbox: false, dailyQuota: 1 });
    const file = await batchFile('quota.jsonl', 4);
    const user = sim.users[0];
    if (user === undefined) throw new Error('the simulator has no user');
    try {
      const run = await runCli(
        [
          'send',
          '--host',
          '127.0.0.1',
          '--port',
          String(sim.starttlsPort),
          '--security',
          'starttls',
          '--ca',
          sim.caFile,
          '--provider',
          'ses',
          '--batch',
          file,
          '--json',
          '--no-progress',
        ],
        { env: { SMTP_USER: user.user, SMTP_PASS: user.pass } },
      );
      const records = run.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      const lines = records.filter((r) => r.line !== undefined);
      expect(lines.map((r) => r.status).sort()).toEqual(['delivered', 'failed', 'failed', 'failed']);
      const failed = lines.filter((r) => r.status === 'failed');
      for (const line of failed) {
        expect(line).toMatchObject({ exitCode: 75, error: { code: 'SMTP_DAILY_QUOTA_EXCEEDED' } });
      }
      // The one that met the quota has its 454; those the stopped pool never tried have no reply of
      // their own, and their message names the earlier reply (no library advice such as resume()).
      const [met, ...notTried] = [...failed].sort((a, b) => Number(b.attempts) - Number(a.attempts));
      expect(met).toMatchObject({ attempts: 1, reply: { code: 454 } });
      for (const line of notTried) {
        expect(line).toMatchObject({ attempts: 0 });
        expect(line.reply).toBeUndefined();
        const { message } = line.error as { message: string };
        expect(message).toMatch(/^not sent: an earlier message got "454 .*this one was not tried$/);
        expect(message).not.toMatch(/resume/);
      }
      expect(records.at(-1)).toMatchObject({ summary: { delivered: 1, failed: 3, exitCode: 75 } });
      // SES's advice for the stop, once in the summary (the lines carry none).
      const { hints } = (records.at(-1) as { summary: { hints: string[] } }).summary;
      expect(hints).toHaveLength(1);
      expect(hints[0]).toMatch(/quota/i);
      expect(run.code).toBe(75);
    } finally {
      await sim.close();
    }
  });

  test.each([
    ['--header', 'X-SES-CONFIGURATION-SET: tracking'],
    ['--to', 'b@example.org'],
    ['--subject', 'Hi'],
    ['--text', 'x'],
    ['--attach', 'file.pdf'],
  ])(
    '%s is refused with a usage error naming it (64), as with --eml; nothing is sent',
    async (flag, value) => {
      const server = await startScriptedServer();
      const file = await batchFile('flags.jsonl', 1);
      try {
        const run = await sendBatch(server, file, flag, value);
        expect(run.code).toBe(64);
        expect(run.stderr).toContain(`error: ${flag} cannot be combined with --batch`);
        expect(server.connections).toHaveLength(0);
      } finally {
        await server.close();
      }
    },
  );

  test('--from stays allowed: it is the default sender of lines without "from"', async () => {
    const server = await startScriptedServer();
    const file = join(dir, 'no-from.jsonl');
    await writeFile(file, `${JSON.stringify({ to: 'b@example.org', text: 'x' })}\n`);
    try {
      const run = await sendBatch(server, file, '--from', 'default@example.com');
      expect(run.code).toBe(0);
      expect(server.transactions.map((t) => t.from)).toEqual(['default@example.com']);
    } finally {
      await server.close();
    }
  });
});

describe('a batch line with a field the CLI does not know', () => {
  test('is refused as invalid, naming the field — a typo or an attachment is never silently dropped', async () => {
    const file = join(dir, 'unknown-fields.jsonl');
    const good = { from: 'a@example.com', to: 'b@example.org', subject: 'ok', text: 'x' };
    await writeFile(
      file,
      [good, { ...good, subjct: 'typo' }, { ...good, attach: 'x.pdf' }]
        .map((l) => JSON.stringify(l))
        .join('\n'),
    );
    const { messages, invalid } = await messagesFromBatch(file, {});
    expect(messages.map((m) => m.id)).toEqual([1]);
    expect(invalid).toEqual([
      { id: 2, problem: 'line 2: unknown field "subjct" (allowed: from, to, cc, bcc, subject, text, html)' },
      { id: 3, problem: 'line 3: unknown field "attach" (allowed: from, to, cc, bcc, subject, text, html)' },
    ]);
  });
});

describe('a batch line the composer refuses', () => {
  test("keeps the composer's SMTP_* code next to its problem (for --json)", async () => {
    const file = join(dir, 'composer-refusal.jsonl');
    const good = { from: 'a@example.com', to: 'b@example.org', subject: 'ok', text: 'x' };
    await writeFile(
      file,
      [good, { ...good, subject: 'a\r\nBcc: x@evil.example' }].map((l) => JSON.stringify(l)).join('\n'),
    );
    const { invalid } = await messagesFromBatch(file, {});
    expect(invalid).toMatchObject([{ id: 2, code: 'SMTP_CONTROL_CHARACTER' }]);
    expect(invalid[0]?.problem).toMatch(/^line 2: /);
  });
});

describe('a batch file with a UTF-8 byte order mark and CRLF line ends', () => {
  test('reads its first line like the others', async () => {
    const file = join(dir, 'bom.jsonl');
    const line = (n: number) => JSON.stringify({ from: 'a@example.com', to: `r${n}@example.org`, text: 'x' });
    await writeFile(file, `\uFEFF${line(0)}\r\n${line(1)}\r\n`);
    const { messages, invalid } = await messagesFromBatch(file, {});
    expect(invalid).toEqual([]);
    expect(messages.map((m) => m.to)).toEqual([['r0@example.org'], ['r1@example.org']]);
  });
});
