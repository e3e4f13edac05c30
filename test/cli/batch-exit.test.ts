/**
 * `send --batch`: an invalid line never hides behind the others — the run exits 64 when everything
 * else went, and a temporary failure (75) still wins over it. Runs the CLI in-process (runCli).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { type ScriptedServer, startScriptedServer } from '../support/scripted-server.js';
import { memoryIo } from './memory-io.js';

let dir: string;
let server: ScriptedServer;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cli-batch-exit-'));
  server = await startScriptedServer({
    overrides: { RCPT: (line) => (/later@/i.test(line) ? '451 4.3.0 Try later' : undefined) },
  });
});
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

async function sendBatch(
  lines: readonly object[],
): Promise<{ code: number; records: Record<string, unknown>[] }> {
  const file = join(dir, `b${Math.random().toString(36).slice(2)}.jsonl`);
  await writeFile(file, `${lines.map((line) => JSON.stringify(line)).join('\n')}\n`);
  const { io, stdout } = memoryIo();
  const args = ['send', '--host', server.host, '--port', String(server.port), '--security', 'none'];
  const code = await runCli([...args, '--no-retry', '--batch', file, '--json', '--no-progress'], io);
  const records = stdout()
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { code, records };
}

const good = { from: 'a@example.com', to: 'b@example.org', text: 'x' };

describe('send --batch exit code with invalid lines', () => {
  it('one line delivered, one invalid: exit 64, and the summary says so', async () => {
    const { code, records } = await sendBatch([good, { ...good, attachment: 'x.pdf' }]);
    expect(code).toBe(64);
    expect(records).toContainEqual(expect.objectContaining({ line: 2, status: 'invalid' }));
    expect(records.at(-1)).toMatchObject({ summary: { delivered: 1, invalid: 1, exitCode: 64 } });
  });

  it('an invalid line and a temporary failure: 75 wins', async () => {
    const { code, records } = await sendBatch([
      { ...good, to: 'later@example.org' },
      { ...good, bogus: 1 },
    ]);
    expect(code).toBe(75);
    expect(records.at(-1)).toMatchObject({ summary: { failed: 1, invalid: 1, exitCode: 75 } });
  });
});
