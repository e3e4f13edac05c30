import { describe, expect, test } from 'vitest';
import { PASSWORD_JSON } from '../../src/cli/json-shapes.js';
import { SES_V2_VECTORS, SES_V4_VECTORS } from '../support/ses-vectors.js';
import { runCli, startCli } from './cli-harness.js';
import { shapeProblems } from './json-shape-check.js';

function expectNoSecret(
  run: { stdout: string; stderr: string; args: readonly string[] },
  secret: string,
): void {
  expect(run.stdout).not.toContain(secret);
  expect(run.stderr).not.toContain(secret);
  expect(run.args.join(' ')).not.toContain(secret);
}

describe('smtp-machine password', () => {
  test.each(SES_V4_VECTORS)('stdin %s in %s', async (secret, region, password) => {
    const run = await runCli(['password', '--region', region], { stdin: `${secret}\n` });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`${password}\n`);
    expectNoSecret(run, secret);
  });

  test('AWS_SECRET_ACCESS_KEY with --json (user from AWS_ACCESS_KEY_ID)', async () => {
    const run = await runCli(['password', '--region', 'us-east-1', '--json'], {
      env: { AWS_SECRET_ACCESS_KEY: 'SECRET_KEY', AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE' },
    });
    expect(run.code).toBe(0);
    expect(shapeProblems(JSON.parse(run.stdout), PASSWORD_JSON)).toEqual([]);
    expect(JSON.parse(run.stdout)).toEqual({
      user: 'AKIAEXAMPLE',
      region: 'us-east-1',
      algorithm: 'v4',
      password: 'BEhllZN9mAOanokSKCZhFUnAZr05oZGH3Yga8SI+ujh+',
    });
    expectNoSecret(run, 'SECRET_KEY');
  });

  test('--stdin reads stdin even when AWS_SECRET_ACCESS_KEY is set', async () => {
    const run = await runCli(['password', '--region', 'eu-central-1', '--stdin'], {
      stdin: 'another+secret+key',
      env: { AWS_SECRET_ACCESS_KEY: 'some+secret+key' },
    });
    expect(run.stdout.trim()).toBe('BBbphbrQmrKMx42d1N6+C7VINYEBGI5v9VsZeTxwskfh');
  });

  test('AWS_SECRET_ACCESS_KEY set and stdin never closed: uses the variable, does not wait for stdin', async () => {
    const [secret, region, password] = SES_V4_VECTORS[0];
    const cli = startCli(['password', '--region', region], { AWS_SECRET_ACCESS_KEY: secret });
    try {
      const line = await Promise.race([
        cli.firstLine,
        new Promise<string>((_, reject) => setTimeout(() => reject(new Error('waited for stdin')), 5_000)),
      ]);
      expect(line).toBe(password);
      expect((await cli.exited).code).toBe(0);
    } finally {
      cli.child.kill('SIGKILL');
    }
  });

  test.each(SES_V2_VECTORS)('--v2 %s', async (secret, password) => {
    const run = await runCli(['password', '--v2'], { stdin: secret });
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe(password);
    expectNoSecret(run, secret);
  });

  test('usage errors exit 64 and never echo what was typed', async () => {
    const noRegion = await runCli(['password'], { stdin: 'some+secret+key' });
    expect(noRegion.code).toBe(64);
    expect(noRegion.stderr).toContain('--region');
    const noSecret = await runCli(['password', '--region', 'eu-west-1']);
    expect(noSecret.code).toBe(64);
    expect(noSecret.stderr).toContain('AWS_SECRET_ACCESS_KEY');
    const positional = await runCli(['password', '--region', 'eu-west-1', 'typed+secret+value']);
    expect(positional.code).toBe(64);
    expect(positional.stderr + positional.stdout).not.toContain('typed+secret+value');
    const asFlag = await runCli(['password', '--region', 'eu-west-1', '--secret=typed+secret+value']);
    expect(asFlag.code).toBe(64);
    expect(asFlag.stderr + asFlag.stdout).not.toContain('typed+secret+value');
    const badRegion = await runCli(['password', '--region', 'Mars'], { stdin: 'x' });
    expect(badRegion.code).toBe(64);
  });
});
