/**
 * A/B of two smtp-machine builds (e.g. main's dist/ copied aside vs the working tree's), side by side
 * in one run: runs alternate A, B (and the raw sender with --raw), each its own worker process with
 * the usual warm-up, against one sink; prints each run and the medians of msg/s and CPU/msg.
 *   cp -r dist /tmp/dist-a && <change> && npm run build
 *   node --import tsx bench/ab.ts --a /tmp/dist-a --b dist [--sink smtp-sink|smtp-server|smtp-sink-nopipe]
 *     [--rounds 7] [--raw] [--connections 1] [--messages 2000] [--warmup 20000] [--cpus 0]
 * `--cpus 0` pins the sink and every worker to CPU 0 (the one-core cases: no cross-core wake-ups);
 * `--sink-cpus 1` pins the sink apart (with `--cpus 0`: client and server each on a core of their own).
 * `--a-flags "..."` / `--b-flags "..."`: Node/V8 flags for that arm's workers (same build twice to
 * measure a flag, e.g. `--b-flags --no-allocation-site-pretenuring`).
 * A build outside the repository needs node_modules on its path (e.g. `ln -s $PWD/node_modules /tmp/`),
 * and is an ES module only under a package.json saying so: without one, tsx (which the worker runs
 * under) loaded it as CommonJS, with xstate's CommonJS build, ~1.5x the CPU per message of the same
 * build in the repository's dist/. ab.ts writes `{"type":"module"}` beside such a build, and says so.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { ClientName } from './bench-client.js';
import { checkQuiet } from './busy-cpu.js';
import type { WorkerResult } from './client-worker.js';
import { median } from './report.js';
import { type SinkName, startSink } from './sinks/sink-process.js';
import { oneKbTask, runWorker } from './worker-process.js';

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? (process.argv[index + 1] ?? fallback) : fallback;
}

interface Arm {
  readonly label: string;
  readonly client: ClientName;
  readonly dist?: string;
  readonly flags?: string;
  readonly results: WorkerResult[];
}

const rate = (r: WorkerResult): number => (r.messages / r.wallMs) * 1000;
const cpu = (r: WorkerResult): number => (r.cpuMs / r.messages) * 1000;

/** Whether the nearest package.json above `dir` makes its .js files ES modules. */
function underModulePackage(dir: string): boolean {
  for (let at = dir; ; at = dirname(at)) {
    const file = join(at, 'package.json');
    if (existsSync(file)) return /"type"\s*:\s*"module"/.test(readFileSync(file, 'utf8'));
    if (dirname(at) === at) return false;
  }
}

/** A build copied out of the repository loads as ESM only with a package.json saying so (see the header). */
function ensureModule(dist: string): void {
  if (underModulePackage(dist)) return;
  writeFileSync(join(dist, 'package.json'), '{"type":"module"}\n');
  console.log(`wrote ${join(dist, 'package.json')}: {"type":"module"} (else it loads as CommonJS)`);
}

async function main(): Promise<void> {
  const arms: Arm[] = [
    {
      label: 'A',
      client: 'smtp-machine',
      dist: resolve(option('a', 'dist')),
      flags: option('a-flags', ''),
      results: [],
    },
    {
      label: 'B',
      client: 'smtp-machine',
      dist: resolve(option('b', 'dist')),
      flags: option('b-flags', ''),
      results: [],
    },
  ];
  for (const arm of arms) if (arm.dist) ensureModule(arm.dist);
  if (process.argv.includes('--raw')) arms.push({ label: 'raw', client: 'raw', results: [] });
  const rounds = Number(option('rounds', '7'));
  console.log(`cores busy with other processes before the run: ${(await checkQuiet()).toFixed(2)}`);
  const cpus = process.argv.includes('--cpus') ? option('cpus', '0') : undefined;
  const sinkCpus = process.argv.includes('--sink-cpus') ? option('sink-cpus', '1') : cpus;
  const sink = await startSink(option('sink', 'smtp-sink') as SinkName, sinkCpus);
  try {
    for (let round = 0; round < rounds; round++) {
      const line: string[] = [];
      for (const arm of rotate(arms, round)) {
        const result = await runWorker(
          oneKbTask(arm.client, sink.port, {
            connections: Number(option('connections', '1')),
            messages: Number(option('messages', '2000')),
            warmup: Number(option('warmup', '20000')),
          }),
          180_000,
          {
            ...process.env,
            ...(arm.dist ? { SMTP_MACHINE_DIST: arm.dist } : {}),
            ...(arm.flags ? { BENCH_NODE_FLAGS: arm.flags } : {}),
          },
          cpus,
        );
        arm.results.push(result);
        line.push(`${arm.label} ${rate(result).toFixed(0)}/s ${cpu(result).toFixed(1)} µs`);
      }
      console.log(`round ${round + 1}: ${line.join(' · ')}`);
    }
  } finally {
    await sink.stop();
  }
  for (const arm of arms) {
    console.log(
      `${arm.label.padEnd(4)} ${arm.dist ?? ''}${arm.flags ? ` ${arm.flags}` : ''}: median ${median(arm.results.map(rate)).toFixed(0)} msg/s, ` +
        `${median(arm.results.map(cpu)).toFixed(1)} µs CPU/msg`,
    );
  }
  const [a, b] = arms as [Arm, Arm];
  console.log(
    `B÷A msg/s ${(median(b.results.map(rate)) / median(a.results.map(rate))).toFixed(3)}, ` +
      `CPU ${(median(b.results.map(cpu)) / median(a.results.map(cpu))).toFixed(3)}`,
  );
}

/** Each round starts with a different arm, so no arm always runs right after the same one. */
function rotate<T>(list: readonly T[], by: number): T[] {
  const shift = by % list.length;
  return [...list.slice(shift), ...list.slice(0, shift)];
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
