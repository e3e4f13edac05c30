/**
 * Client throughput benchmark (issue #7): smtp-machine, nodemailer and a raw pipelined sender send the
 * same messages to the same sink, each client in its own process, runs interleaved, medians printed
 * with same-run ratios; results in bench/results/latest.json and bench/results/chart.svg.
 * Usage: node --import tsx bench/run.ts [--quick] [--runs N] [--case SUBSTRING]...
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tasksetInstalled } from './affinity.js';
import type { ClientName } from './bench-client.js';
import { checkQuiet } from './busy-cpu.js';
import { renderChart } from './chart-svg.js';
import type { MessagePlan, WorkerResult, WorkerTask } from './client-worker.js';
import { RawConnection } from './raw-sender.js';
import { type CaseResult, type CaseSpec, formatTable, median, ratios, summarize } from './report.js';
import {
  postfixInstalled,
  type RunningProcess,
  type SinkName,
  smtpSinkInstalled,
  startLatencyProxy,
  startSink,
} from './sinks/sink-process.js';
import { runWorker } from './worker-process.js';

const ALL: readonly ClientName[] = ['smtp-machine', 'nodemailer', 'raw'];
const KB = 1024;
const MB = 1_000_000;
const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));

interface Args {
  readonly quick: boolean;
  readonly runs: number;
  readonly filters: readonly string[];
}

function parseArgs(argv: readonly string[]): Args {
  const filters: string[] = [];
  let quick = false;
  let runs: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--quick') quick = true;
    else if (arg === '--runs') runs = Number(argv[++i]);
    else if (arg === '--case') filters.push(...(argv[++i] ?? '').split(','));
    else throw new Error(`unknown argument ${arg}`);
  }
  return { quick, runs: runs ?? (quick ? 1 : 5), filters };
}

function cases(quick: boolean): CaseSpec[] {
  const scale = (n: number): number => (quick ? Math.max(10, Math.round(n / 10)) : n);
  const small = { size: KB, source: 'buffer' as const, clients: ALL };
  const list: CaseSpec[] = [];
  const sinks: SinkName[] = smtpSinkInstalled()
    ? ['smtp-sink', 'smtp-sink-nopipe', 'smtp-server', 'smtp-server-nopipe']
    : ['smtp-server', 'smtp-server-nopipe'];
  const throughput = (name: string, sink: SinkName, more: Partial<CaseSpec> = {}): CaseSpec => ({
    ...small,
    name,
    kind: 'throughput',
    sink,
    connections: 1,
    messages: scale(2000),
    warmup: scale(20_000),
    ...more,
  });
  const pipelining = sinks.filter((s) => !s.endsWith('nopipe'));
  // Composed: every message composed per send by the client's own composer (most callers give
  // nodemailer fields, not bytes); the raw reference has no composer and sits these out.
  const composed = { source: 'composed', clients: ['smtp-machine', 'nodemailer'] } as const;
  for (const sink of sinks) list.push(throughput(`1k/1conn/${sink}`, sink));
  for (const sink of pipelining) list.push(throughput(`1k-composed/1conn/${sink}`, sink, composed));
  for (const sink of pipelining) list.push(throughput(`1k/pool5/${sink}`, sink, { connections: 5 }));
  // A server that offers CHUNKING (smtp-sink and smtp-server do not): real Postfix smtpd, with and
  // without it. Each message is queued before it is discarded, so this measures the server.
  if (postfixInstalled()) {
    for (const sink of ['postfix', 'postfix-nochunking'] as const)
      list.push(throughput(`1k/1conn/${sink}`, sink, { messages: scale(1000), warmup: scale(1000) }));
  }
  // Sink and client on one CPU: no wake-up across cores per reply (see affinity.ts), so what is
  // measured is the clients' own work; skipped without taskset.
  if (tasksetInstalled()) {
    for (const sink of pipelining) list.push(throughput(`1k/1conn/${sink}/one-core`, sink, { cpus: '0' }));
    for (const sink of pipelining)
      list.push(throughput(`1k-composed/1conn/${sink}/one-core`, sink, { ...composed, cpus: '0' }));
  }
  const fast = sinks[0] as SinkName;
  const latency = { ...small, kind: 'latency' as const, latencyMs: 10 };
  list.push(
    {
      ...latency,
      name: `1k/1conn/rtt20/${fast}`,
      sink: fast,
      connections: 1,
      messages: scale(200),
      warmup: 10,
    },
    {
      ...latency,
      name: `1k/1conn/rtt20/${fast}-nopipe`,
      sink: `${fast}-nopipe`,
      connections: 1,
      messages: scale(50),
      warmup: 5,
    },
    {
      ...latency,
      name: `1k/pool5/rtt20/${fast}`,
      sink: fast,
      connections: 5,
      messages: scale(400),
      warmup: 10,
    },
  );
  for (const size of quick ? [10 * MB] : [10 * MB, 40 * MB]) {
    for (const source of ['buffer', 'stream'] as const) {
      const name = `${size / MB}MB/${source}/${fast}`;
      list.push({
        name,
        kind: 'big',
        sink: fast,
        connections: 1,
        messages: 1,
        // Warm with 1 MB messages (Buffers): the big-body paths (scan loops, body writer) are compiled
        // before the timed one, as in a service that sends such messages all day, while the process's
        // peak RSS (getrusage maxrss, a lifetime high-water mark) still comes from the timed message.
        warmup: 3,
        warmSize: 1_000_000,
        size,
        source,
        clients: ALL,
      });
    }
  }
  return list;
}

/** Median NOOP round trip through the proxy: the real RTT, timer slack included. */
async function measureRtt(port: number): Promise<number> {
  const connection = await RawConnection.open('127.0.0.1', port);
  const samples: number[] = [];
  for (let i = 0; i < 15; i++) {
    const start = performance.now();
    await connection.noop();
    samples.push(performance.now() - start);
  }
  await connection.quit();
  return median(samples);
}

async function runCase(spec: CaseSpec, runs: number): Promise<CaseResult> {
  const started: RunningProcess[] = [];
  try {
    const sink = await startSink(spec.sink as SinkName, spec.cpus);
    started.push(sink);
    let port = sink.port;
    let measuredRttMs: number | undefined;
    if (spec.latencyMs !== undefined) {
      const proxy = await startLatencyProxy(sink.port, spec.latencyMs);
      started.push(proxy);
      port = proxy.port;
      measuredRttMs = await measureRtt(port);
    }
    const results = new Map<ClientName, WorkerResult[]>(spec.clients.map((c) => [c, []]));
    const failures = new Map<ClientName, string[]>(spec.clients.map((c) => [c, []]));
    for (let run = 0; run < runs; run++) {
      for (const client of spec.clients) {
        const task: WorkerTask = { client, host: '127.0.0.1', port, ...pick(spec) };
        try {
          results.get(client)?.push(await runWorker(task, 180_000, process.env, spec.cpus));
        } catch (error) {
          failures.get(client)?.push(error instanceof Error ? error.message : String(error));
          process.stderr.write(
            `  ${spec.name} run ${run + 1}: ${error instanceof Error ? error.message : String(error)}\n`,
          );
        }
      }
      process.stderr.write('.');
    }
    const clients: CaseResult['clients'] = {};
    for (const client of spec.clients) {
      const ok = results.get(client) ?? [];
      if (ok.length > 0) clients[client] = summarize(spec, ok, failures.get(client) ?? [], measuredRttMs);
    }
    return { spec, clients, ratios: {}, ...(measuredRttMs === undefined ? {} : { measuredRttMs }) };
  } finally {
    for (const process_ of started.reverse()) await process_.stop();
  }
}

function pick(spec: CaseSpec): MessagePlan {
  return {
    connections: spec.connections,
    messages: spec.messages,
    warmup: spec.warmup,
    ...(spec.warmSize === undefined ? {} : { warmSize: spec.warmSize }),
    size: spec.size,
    source: spec.source,
  };
}

/** Ratios within each case; big stream cases are also held to the pre-encoded (buffer) raw write. */
function withRatios(results: CaseResult[]): CaseResult[] {
  return results.map((result) => {
    const reference =
      result.spec.kind === 'big' && result.spec.source === 'stream'
        ? results.find((r) => r.spec.name === result.spec.name.replace('/stream/', '/buffer/'))?.clients.raw
        : undefined;
    return { ...result, ratios: ratios(result.clients, reference) };
  });
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const selected = cases(args.quick).filter(
    (c) => args.filters.length === 0 || args.filters.some((f) => c.name.includes(f)),
  );
  const busyBefore = await checkQuiet();
  const began = Date.now();
  const raw: CaseResult[] = [];
  for (const spec of selected) {
    process.stderr.write(`${spec.name} `);
    raw.push(await runCase(spec, args.runs));
    process.stderr.write(` ${((Date.now() - began) / 1000).toFixed(0)} s\n`);
  }
  const results = withRatios(raw);
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, load ${loadavg()[0]?.toFixed(2)}, ${busyBefore.toFixed(2)} cores busy before`;
  console.log(
    `\n${machine}; ${args.runs} run(s) per client, interleaved; total ${((Date.now() - began) / 1000).toFixed(0)} s\n`,
  );
  console.log(formatTable(results));
  // Only a full run replaces the committed results; partial runs go to a temp directory.
  const partial = args.quick || args.filters.length > 0 || args.runs < 5;
  const dir = partial ? `${mkdtempSync(join(tmpdir(), 'smtp-bench-'))}/` : RESULTS;
  mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString();
  writeFileSync(
    `${dir}latest.json`,
    `${JSON.stringify({ date: stamp, machine, args, totalSeconds: (Date.now() - began) / 1000, results }, null, 2)}\n`,
  );
  writeFileSync(
    `${dir}chart.svg`,
    renderChart(results, `${stamp.slice(0, 10)} · ${machine} · ${args.runs} runs, medians`),
  );
  console.log(`\nresults: ${dir}latest.json, ${dir}chart.svg`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
