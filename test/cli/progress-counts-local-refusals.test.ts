/**
 * `send --batch … --progress`: the bar reaches the total also when a message is refused locally (over
 * --max-size: refused inside the pool's send(), with no pool event). It stopped at 1/2. Found by a
 * CLI review.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { startScriptedServer } from '../support/scripted-server.js';
import { makeTempDir } from '../support/servers/harness.js';
import { runCli } from './cli-harness.js';

test('one message delivered, one over --max-size: the last frame is 2/2', async () => {
  const dir = makeTempDir('cli-progress');
  const server = await startScriptedServer();
  try {
    const file = join(dir.path, 'batch.jsonl');
    const line = (text: string) =>
      JSON.stringify({ from: 'a@example.com', to: 'b@example.org', subject: 's', text });
    await writeFile(file, `${line('small')}\n${line('x'.repeat(2_000))}\n`);
    const target = ['--host', '127.0.0.1', '--port', String(server.port), '--security', 'none'];
    const run = await runCli([
      'send',
      ...target,
      '--batch',
      file,
      '--max-size',
      '500',
      '--progress',
      '--json',
    ]);
    const frames = run.stderr.split('\r').filter((frame) => frame.includes('/2'));
    expect(frames.at(-1)).toContain('2/2');
  } finally {
    await server.close();
    dir.remove();
  }
});
