import { spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { FAILURE_SHAPE, SEND_BATCH_JSON, SIMULATE_JSON } from '../../src/cli/json-shapes.js';
import { MAIN, runCli, startCli } from './cli-harness.js';
import { shapeProblems } from './json-shape-check.js';

interface SimulatorInfo {
  host: string;
  starttlsPort: number;
  tlsPort: number;
  caFile: string;
  user: string;
  pass: string;
  exampleSecretAccessKey: string;
}

describe('smtp-machine simulate + send --batch', () => {
  test('prints ports, CA and credentials; a throttled batch is slowed, retried and delivered; SIGTERM stops it', async () => {
    const sim = startCli([
      'simulate',
      '--json',
      '--rate',
      '4',
      '--verify',
      'example.com',
      '--region',
      'eu-west-1',
    ]);
    try {
      const info = JSON.parse(await sim.firstLine) as SimulatorInfo;
      expect(shapeProblems(info, SIMULATE_JSON)).toEqual([]);
      expect(info.host).toBe('127.0.0.1');
      expect(info.starttlsPort).toBeGreaterThan(0);
      expect(info.tlsPort).toBeGreaterThan(0);
      // The printed password is the one `smtp-machine password` derives from the printed fake secret.
      const derived = await runCli(['password', '--region', 'eu-west-1'], {
        stdin: info.exampleSecretAccessKey,
      });
      expect(derived.stdout.trim()).toBe(info.pass);

      const dir = await mkdtemp(join(tmpdir(), 'cli-batch-'));
      const batch = join(dir, 'batch.jsonl');
      const lines = Array.from({ length: 8 }, (_, i) =>
        JSON.stringify({ to: [`user${i}@example.com`], subject: `n${i}`, text: `message ${i}` }),
      );
      await writeFile(batch, `${lines.join('\n')}\n{not json}\n`);
      const run = await runCli(
        [
          'send',
          '--host',
          info.host,
          '--port',
          String(info.tlsPort),
          '--security',
          'implicit',
          '--ca',
          info.caFile,
          '--provider',
          'ses',
          '--batch',
          batch,
          '--from',
          'sender@example.com',
          '--connections',
          '2',
          '--retry-delays',
          '0.3',
          '--progress',
          '--json',
        ],
        { env: { SMTP_USER: info.user, SMTP_PASS: info.pass } },
      );
      const records = run.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      const results = records.filter((r) => 'line' in r && r.status !== 'invalid');
      // Every line is one of the three documented kinds.
      for (const record of records) {
        const shape =
          'summary' in record
            ? SEND_BATCH_JSON.summary
            : record.status === 'invalid'
              ? SEND_BATCH_JSON.invalid
              : SEND_BATCH_JSON.result;
        expect(shapeProblems(record, shape)).toEqual([]);
      }
      expect(results).toHaveLength(8);
      expect(results.every((r) => r.status === 'delivered' && typeof r.messageId === 'string')).toBe(true);
      expect(records.filter((r) => r.status === 'invalid').map((r) => r.line)).toEqual([9]);
      const summary = records.at(-1)?.summary as {
        delivered: number;
        retriesByCause: Record<string, number>;
        retriesByCode: Record<string, number>;
        exitCode: number;
      };
      expect(summary.delivered).toBe(8);
      // The pool's cause for SES 454 "Maximum sending rate exceeded", and the code it was classified as.
      expect(summary.retriesByCause['slow-down']).toBeGreaterThan(0);
      expect(summary.retriesByCode.SMTP_THROTTLED).toBe(summary.retriesByCause['slow-down']);
      // Each throttled message's history shows the 454 and the attempt that delivered it.
      const throttled = results.filter((r) => (r.attempts as number) > 1);
      expect(throttled.length).toBeGreaterThan(0);
      for (const r of throttled) {
        const history = r.history as { reply?: { code: number }; error?: { code: string } }[];
        expect(history.at(-1)?.reply?.code).toBe(250);
        expect(history.slice(0, -1).every((a) => a.reply?.code === 454)).toBe(true);
      }
      expect(summary.exitCode).toBe(64); // the invalid line
      expect(run.code).toBe(64);
      expect(run.stderr).toContain('8/8');
    } finally {
      sim.child.kill('SIGTERM');
    }
    const exit = await sim.exited;
    expect(exit.code).toBe(0);
    expect(sim.stderr()).toContain('stopping: 8 accepted');
  });

  test('a busy port: exit 69 naming the port and the flag to change (--json: the error document)', async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as AddressInfo).port;
    try {
      const run = await runCli(['simulate', '--tls-port', String(port), '--json']);
      expect(run.code).toBe(69);
      const body = JSON.parse(run.stdout) as { ok: boolean; error: { message: string }; hints: string[] };
      expect(shapeProblems(body, FAILURE_SHAPE)).toEqual([]);
      expect(body.ok).toBe(false);
      expect(body.error.message).toContain(`port ${port} (EADDRINUSE)`);
      expect(body.hints.join(' ')).toContain('--tls-port');
    } finally {
      await new Promise((resolve) => busy.close(resolve));
    }
  });
});

describe('simulate: the "Try:" send command it prints', () => {
  /** Starts `simulate` in text mode and resolves with its output once it is listening. */
  function startText(args: readonly string[]) {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'simulate', ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const text = new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        out += chunk;
        if (out.includes('Press Ctrl-C')) resolve(out);
      });
      child.on('close', () => reject(new Error('simulate exited')));
    });
    return { child, text };
  }

  test('with --verify, the printed command delivers as printed', async () => {
    const { child, text } = startText(['--verify', 'example.com']);
    try {
      const out = await text;
      const user = /export SMTP_USER=(\S+)/.exec(out)?.[1] ?? '';
      const pass = /export SMTP_PASS='([^']+)'/.exec(out)?.[1] ?? '';
      const command = out.slice(out.indexOf('smtp-machine send')).split('\n').slice(0, 2).join(' ');
      const args = command.replace(/\\/g, ' ').trim().split(/\s+/).slice(1);
      expect(args).toContain('sender@example.com');
      const run = await runCli(args, { env: { SMTP_USER: user, SMTP_PASS: pass } });
      expect(run.code, run.stderr).toBe(0);
    } finally {
      child.kill('SIGTERM');
    }
  });

  test('in the sandbox with nothing verified, it says the sender will be refused until one is', async () => {
    const { child, text } = startText([]);
    try {
      expect(await text).toContain('until you start with --verify example.com');
    } finally {
      child.kill('SIGTERM');
    }
  });
});
