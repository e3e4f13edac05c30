/**
 * The simulator's optional peers (smtp-server, selfsigned) missing: startSesSimulator rejects with
 * SMTP_DEPENDENCY_MISSING naming the package (README), not a raw module-not-found error. Each case
 * runs in a child process whose module resolution cannot find the peer.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const BLOCK = fileURLToPath(new URL('../../support/block-peer.mjs', import.meta.url));
const SIMULATOR = new URL('../../../src/ses/simulator/simulator.ts', import.meta.url).href;
const SCRIPT = `
const { startSesSimulator } = await import(${JSON.stringify(SIMULATOR)});
try {
  const sim = await startSesSimulator();
  await sim.close();
  console.log(JSON.stringify({ started: true }));
} catch (error) {
  console.log(JSON.stringify({ name: error.name, code: error.code, field: error.field, message: error.message }));
}`;

function startWithout(peers: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--import', BLOCK, '--input-type=module', '-e', SCRIPT],
      { env: { ...process.env, BLOCK_PEERS: peers }, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
    });
    child.on('error', reject);
    child.on('close', () => resolve(JSON.parse(out.trim().split('\n').at(-1) ?? '{}')));
  });
}

describe('optional peer dependencies missing', () => {
  it.each([['smtp-server'], ['selfsigned']])(
    'without %s: SMTP_DEPENDENCY_MISSING naming it',
    async (peer) => {
      const outcome = await startWithout(peer);
      expect(outcome).toMatchObject({ name: 'SmtpUsageError', code: 'SMTP_DEPENDENCY_MISSING', field: peer });
      expect(outcome.message).toContain('npm install smtp-server selfsigned');
    },
  );

  it('with both present the simulator starts (the hook blocks nothing else)', async () => {
    expect(await startWithout('')).toEqual({ started: true });
  });
});
