import { describe, expect, test } from 'vitest';
import { runCli } from './cli-harness.js';

describe('smtp-machine (top level)', () => {
  test.each(['send', 'check', 'password', 'simulate', 'demo'])(
    '%s --help exits 0 with its usage',
    async (name) => {
      const run = await runCli([name, '--help']);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(new RegExp(`^Usage: smtp-machine ${name}`));
    },
  );

  test('--help lists every command; no command is a usage error', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    for (const name of ['send', 'check', 'password', 'simulate', 'demo']) expect(help.stdout).toContain(name);
    expect((await runCli([])).code).toBe(64);
  });

  test('unknown command and unknown option exit 64', async () => {
    const unknown = await runCli(['frobnicate']);
    expect(unknown.code).toBe(64);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
    const option = await runCli(['check', '127.0.0.1:1', '--bogus']);
    expect(option.code).toBe(64);
    expect(option.stderr).toContain('unknown option --bogus');
  });

  test('--json usage errors are JSON on stdout', async () => {
    const run = await runCli(['send', '--json', '--host', '127.0.0.1']);
    expect(run.code).toBe(64);
    const body = JSON.parse(run.stdout) as { ok: boolean; error: { message: string } };
    expect(body.ok).toBe(false);
    expect(body.error.message).toMatch(/--to|--from/);
  });
});
