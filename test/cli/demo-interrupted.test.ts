/**
 * Ctrl-C during `demo`: the run was cut short, not wrong — exit 75 (interrupted), as send and check
 * do, with the report saying so; 70 stays for outcomes that differ from what the demo expected.
 */
import { expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { memoryIo } from './memory-io.js';

it('demo interrupted after a second: exit 75, ok false, the problem named as the interruption', async () => {
  const { io, controller, stdout } = memoryIo();
  const run = runCli(['demo', '--messages', '100', '--json', '--no-progress'], io);
  setTimeout(() => controller.abort(new Error('received SIGINT')), 1000);
  expect(await run).toBe(75);
  const report = JSON.parse(stdout()) as { ok: boolean; problems: string[] };
  expect(report.ok).toBe(false);
  expect(report.problems).toEqual([expect.stringMatching(/^interrupted/)]);
}, 30_000);
