/** Runs one client-worker.ts process (one timed run of one client) and reads its RESULT line. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { pinned } from './affinity.js';
import type { ClientName } from './bench-client.js';
import type { WorkerResult, WorkerTask } from './client-worker.js';

const WORKER = fileURLToPath(new URL('./client-worker.ts', import.meta.url));

export function runWorker(
  task: WorkerTask,
  timeoutMs: number,
  env: NodeJS.ProcessEnv = process.env,
  cpus?: string,
): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    // BENCH_NODE_FLAGS: V8/Node flags for the client process only (e.g. --no-allocation-site-pretenuring).
    const flags = (env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
    const [command, argv] = pinned(cpus, process.execPath, [
      ...flags,
      '--import',
      'tsx',
      WORKER,
      JSON.stringify(task),
    ]);
    const child = spawn(command, argv, {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (code === 0 && line) resolve(JSON.parse(line.slice(7)) as WorkerResult);
      else
        reject(
          new Error(
            `${task.client}: exit ${code ?? signal}: ${err.trim().split('\n').slice(0, 3).join(' | ')}`,
          ),
        );
    });
  });
}

/** The 1 KB throughput task the measuring scripts share: `client` to 127.0.0.1:`port`, pre-built body. */
export function oneKbTask(
  client: ClientName,
  port: number,
  {
    connections = 1,
    messages = 2000,
    warmup = 20_000,
  }: { connections?: number; messages?: number; warmup?: number } = {},
): WorkerTask {
  return { client, host: '127.0.0.1', port, connections, messages, warmup, size: 1024, source: 'buffer' };
}
