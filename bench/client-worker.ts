/**
 * One timed run of one client, in its own process so its CPU and memory are its own. Argument: a
 * JSON WorkerTask; output: one `RESULT {json}` line with wall time, CPU and RSS for the timed part.
 */
import { encodeData } from '../src/protocol/data-encoder.js';
import type { BenchClient, ClientName, ClientSetup } from './bench-client.js';
import { buildMessage, streamMessage } from './message-fixture.js';

/** What a run sends: the part of a benchmark case the worker needs (report.ts CaseSpec extends it). */
export interface MessagePlan {
  readonly connections: number;
  readonly messages: number;
  readonly warmup: number;
  /** Octets of each warm-up message (a Buffer); 1 KB unless set. */
  readonly warmSize?: number;
  readonly size: number;
  /** `composed`: each client composes every message from the same fields (no raw reference). */
  readonly source: 'buffer' | 'stream' | 'composed';
}

export interface WorkerTask extends MessagePlan {
  readonly client: ClientName;
  readonly host: string;
  readonly port: number;
}

export interface WorkerResult {
  readonly messages: number;
  readonly wallMs: number;
  /** User + system CPU of this process during the timed part, in ms. */
  readonly cpuMs: number;
  /** The kernel's part of cpuMs (system calls: the socket writes and reads, wake-ups). */
  readonly systemCpuMs?: number;
  /** RSS when the timed part started (body already built), MB. */
  readonly baseRssMb: number;
  /** Peak RSS of the whole process (getrusage maxrss), MB. */
  readonly peakRssMb: number;
  readonly note?: string;
  /** Only when profiling (BENCH_PROFILE_DIR): xstate events and GCs during the timed part; with
   * BENCH_CRITICAL_PATH, the read → write / write → read split (critical-path-hooks.ts). */
  readonly counters?: Record<string, number>;
  /** With BENCH_MARK_TIMED: the timed part's start and end, ms since the process started (gc-trace.ts). */
  readonly timedSpanMs?: readonly [number, number];
}

const MB = 1024 * 1024;

async function makeClient(
  name: ClientName,
  setup: ClientSetup,
): Promise<{ client: BenchClient; note?: string }> {
  if (name === 'raw' && setup.composed) throw new Error('the raw reference does not compose messages');
  if (name === 'raw') return { client: (await import('./client-raw.js')).createRawClient(setup) };
  if (name === 'nodemailer')
    return { client: (await import('./client-nodemailer.js')).createNodemailerClient(setup) };
  const module = await import('./client-smtp-machine.js');
  const client = await module.createSmtpMachineClient(setup);
  return { client, ...(module.note ? { note: module.note } : {}) };
}

async function main(task: WorkerTask): Promise<WorkerResult> {
  const buffer = task.source === 'buffer' ? buildMessage(task.size) : undefined;
  const warmBody = task.warmSize === undefined ? buildMessage(1024) : buildMessage(task.warmSize);
  const setup: ClientSetup = {
    host: task.host,
    port: task.port,
    connections: task.connections,
    body: () => buffer ?? streamMessage(task.size),
    // The raw reference writes pre-encoded bytes: encoding is done here, untimed (that is the point).
    encoded: buffer && task.client === 'raw' ? encodeData(buffer).bytes : undefined,
    warmBody,
    warmEncoded: encodeData(warmBody).bytes,
    maxMessageSize: Math.max(task.size * 2, 10 * MB),
    rawStream: task.client === 'raw' && task.source === 'stream',
    composed: task.source === 'composed',
  };
  const profileDir = process.env.BENCH_PROFILE_DIR;
  const hooks = profileDir ? await import('./profile-hooks.js') : undefined;
  hooks?.installCounters();
  const path = process.env.BENCH_CRITICAL_PATH ? await import('./critical-path-hooks.js') : undefined;
  path?.installCriticalPath();
  const { client, note } = await makeClient(task.client, setup);
  // Warm up in calls the size of the timed one: after one long warm-up call the hot code was compiled
  // only on-stack inside that call's loop (OSR), and the timed call's first ~2,000 messages ran
  // unoptimised again (measured: 0.17 vs 0.08 ms CPU/msg for smtp-machine).
  const warmup = Math.max(task.warmup, task.connections);
  for (let done = 0; done < warmup; done += task.messages) {
    await client.warm(Math.min(task.messages, warmup - done));
  }
  const profiler = await hooks?.startProfiling();
  path?.startCriticalPath();
  const baseRss = process.memoryUsage().rss;
  const cpu = process.cpuUsage();
  const start = performance.now();
  await client.run(task.messages);
  const wallMs = performance.now() - start;
  const used = process.cpuUsage(cpu);
  const cycle = path?.stopCriticalPath(task.messages);
  const counters = hooks && profiler && profileDir ? await hooks.stopProfiling(profiler, profileDir) : cycle;
  await client.close();
  return {
    messages: task.messages,
    wallMs,
    cpuMs: (used.user + used.system) / 1000,
    systemCpuMs: used.system / 1000,
    baseRssMb: baseRss / MB,
    peakRssMb: (process.resourceUsage().maxRSS * 1024) / MB,
    ...(note === undefined ? {} : { note }),
    ...(counters === undefined ? {} : { counters: { ...counters } }),
    ...(process.env.BENCH_MARK_TIMED ? { timedSpanMs: [start, start + wallMs] as const } : {}),
  };
}

const task = JSON.parse(process.argv[2] ?? '{}') as WorkerTask;
main(task).then(
  (result) => {
    process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
    process.exit(0);
  },
  (error: unknown) => {
    process.stderr.write(
      `worker failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
