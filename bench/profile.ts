/**
 * Where a client's CPU and allocations go while it sends 1 KB messages: profiles one worker's timed
 * part (see profile-hooks.ts) and splits self time and allocated bytes by layer (xstate, session,
 * transport, protocol, Node core, GC). Usage:
 *   node --import tsx bench/profile.ts [--client smtp-machine] [--sink smtp-sink] [--messages 5000] [--connections 1] [--source buffer|composed]
 *     [--survivors] [--node-flags "--no-allocation-site-pretenuring"]
 * `--survivors`: the heap split counts only objects that outlived a scavenge (see profile-hooks.ts);
 * `--node-flags`: Node/V8 flags for the profiled worker.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClientName } from './bench-client.js';
import type { WorkerResult, WorkerTask } from './client-worker.js';
import { analyseCpu, analyseHeap, type CpuProfile, type HeapNode, top } from './profile-analysis.js';
import { type SinkName, startSink } from './sinks/sink-process.js';

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? (process.argv[index + 1] ?? fallback) : fallback;
}

async function main(): Promise<void> {
  const file = option('file', '');
  if (file) {
    // A profile written by `node --cpu-prof` (whole process): same split, per `--messages`.
    printCpu(
      analyseCpu(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile),
      Number(option('messages', '1')),
    );
    return;
  }
  const client = option('client', 'smtp-machine') as ClientName;
  const messages = Number(option('messages', '5000'));
  const connections = Number(option('connections', '1'));
  const sink = await startSink(option('sink', 'smtp-sink') as SinkName);
  const dir = mkdtempSync(join(tmpdir(), 'smtp-profile-'));
  const task: WorkerTask = {
    client,
    host: '127.0.0.1',
    port: sink.port,
    connections,
    messages,
    warmup: Number(option('warmup', '20000')),
    size: 1024,
    source: option('source', 'buffer') as WorkerTask['source'],
  };
  const worker = fileURLToPath(new URL('./client-worker.ts', import.meta.url));
  const survivors = process.argv.includes('--survivors');
  const nodeFlags = option('node-flags', '').split(' ').filter(Boolean);
  const runWorker = (kind: 'cpu' | 'heap') =>
    new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, [...nodeFlags, '--import', 'tsx', worker, JSON.stringify(task)], {
        env: {
          ...process.env,
          BENCH_PROFILE_DIR: dir,
          BENCH_PROFILE_KIND: kind,
          ...(survivors ? { BENCH_PROFILE_SURVIVORS: '1' } : {}),
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let text = '';
      child.stdout.on('data', (chunk: Buffer) => {
        text += chunk.toString();
      });
      child.once('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`worker exit ${code}`))));
    });
  const out = await runWorker('cpu');
  await runWorker('heap');
  await sink.stop();
  const result = JSON.parse(out.split('RESULT ')[1] ?? '{}') as WorkerResult;
  const cpu = analyseCpu(JSON.parse(readFileSync(join(dir, 'timed.cpuprofile'), 'utf8')) as CpuProfile);
  const heap = analyseHeap(
    (JSON.parse(readFileSync(join(dir, 'timed.heapprofile'), 'utf8')) as { head: HeapNode }).head,
  );
  console.log(
    `${client}, ${messages} × 1 KB, ${connections} connection(s) to ${sink.name}${nodeFlags.length > 0 ? `, ${nodeFlags.join(' ')}` : ''}; profiles in ${dir}`,
  );
  console.log(
    `timed part: ${result.wallMs.toFixed(0)} ms wall (profiler on), ${(result.cpuMs / messages).toFixed(3)} ms CPU/msg` +
      (result.systemCpuMs === undefined
        ? ''
        : ` (${(result.systemCpuMs / messages).toFixed(3)} in the kernel)`),
  );
  console.log(`counters: ${JSON.stringify(perMessage(result.counters, messages))} per message`);
  printCpu(cpu, messages);
  console.log(
    `\nallocated bytes per message by layer (sampling, ${survivors ? 'only objects that outlived a scavenge' : 'collected objects included'}): ${(heap.total / messages).toFixed(0)} B/msg total`,
  );
  for (const [layer, bytes] of top(heap.layers, 12))
    console.log(`  ${(bytes / messages).toFixed(0).padStart(7)} B/msg  ${layer}`);
  console.log(`\ntop allocating functions:`);
  for (const [name, bytes] of top(heap.functions, 20))
    console.log(`  ${(bytes / messages).toFixed(0).padStart(7)} B/msg  ${name}`);
}

function printCpu(cpu: ReturnType<typeof analyseCpu>, messages: number): void {
  const busy = cpu.totalUs - (cpu.layers.get('(idle)') ?? 0);
  const pct = (us: number): string => `${((100 * us) / busy).toFixed(1)}%`.padStart(6);
  // The profiler's samples are wall time: a socket write (writeBuffer) holds every sample taken while
  // this thread waited in the kernel, including while the server it woke ran on the same core. That
  // share is not this process's CPU (compare the kernel CPU above); the other layers' are.
  console.log(
    `\nself time by layer (share of non-idle samples, wall time; builtins charged to their caller; ` +
      `writeBuffer includes waits in the kernel):`,
  );
  for (const [layer, us] of top(cpu.layers, 20)) {
    if (layer !== '(idle)')
      console.log(`  ${pct(us)}  ${(us / messages).toFixed(1).padStart(6)} µs/msg  ${layer}`);
  }
  console.log(`  stack contains an xstate frame (machine + its actions): ${pct(cpu.xstateInclusiveUs)}`);
  console.log(`\ntop functions by self time:`);
  for (const [name, us] of top(cpu.functions, 25)) console.log(`  ${pct(us)}  ${name}`);
}

function perMessage(counters: Record<string, number> | undefined, messages: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(counters ?? {})) out[key] = Number((value / messages).toFixed(3));
  return out;
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
