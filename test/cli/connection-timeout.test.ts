/**
 * --timeout (seconds): a value that rounds to 0 ms, or one past what a Node timer can wait, is a
 * usage error naming --timeout before anything is dialled — `check` used to dial with a 0 ms
 * timeout and report "no answer within 0 ms" as a temporary failure (75).
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CliError } from '../../src/cli/args.js';
import { resolveConnection } from '../../src/cli/connection.js';
import type { CliIo } from '../../src/cli/output.js';
import { runCli } from './cli-harness.js';

const io: CliIo = {
  stdin: new PassThrough(),
  stdout: new PassThrough(),
  stderr: new PassThrough(),
  env: {},
  signal: new AbortController().signal,
};
const withTimeout = (timeout: string) =>
  resolveConnection({ host: '127.0.0.1', port: '2525', security: 'none', timeout }, io);

describe('--timeout', () => {
  it.each([
    ['0.001', 1],
    ['2.5', 2_500],
    ['2147483', 2_147_483_000],
  ])('%s s → %i ms', async (timeout, ms) => {
    expect((await withTimeout(timeout)).timeoutMs).toBe(ms);
  });

  it.each(['0.0004', '0.0001', '2147484', '3000000'])(
    '%s is a usage error naming --timeout',
    async (timeout) => {
      const error = await withTimeout(timeout).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CliError);
      expect(error).toMatchObject({
        exitCode: 64,
        message: '--timeout must be between 0.001 and 2147483 seconds',
      });
    },
  );

  it('check --timeout 0.0001 exits 64 without a step run', async () => {
    const run = await runCli(['check', '127.0.0.1:1', '--security', 'none', '--timeout', '0.0001', '--json']);
    expect(run.code).toBe(64);
    expect(JSON.parse(run.stdout)).toMatchObject({
      ok: false,
      error: { message: '--timeout must be between 0.001 and 2147483 seconds' },
    });
  });
});
