/**
 * Ctrl-C during `demo`: the run was cut short, not wrong — exit 75 (interrupted), as send and check
 * do, with the report saying so; 70 stays for outcomes that differ from what the demo expected.
 */
import { PassThrough } from 'node:stream';
import { expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/output.js';

it('demo interrupted after a second: exit 75, ok false, the problem named as the interruption', async () => {
  const controller = new AbortController();
  const stdout = new PassThrough();
  const out: Buffer[] = [];
  stdout.on('data', (chunk: Buffer) => out.push(chunk));
  const io: CliIo = {
    stdin: new PassThrough(),
    stdout,
    stderr: new PassThrough(),
    env: {},
    signal: controller.signal,
  };
  const run = runCli(['demo', '--messages', '100', '--json', '--no-progress'], io);
  setTimeout(() => controller.abort(new Error('received SIGINT')), 1000);
  expect(await run).toBe(75);
  const report = JSON.parse(Buffer.concat(out).toString()) as { ok: boolean; problems: string[] };
  expect(report.ok).toBe(false);
  expect(report.problems).toEqual([expect.stringMatching(/^interrupted/)]);
}, 30_000);
