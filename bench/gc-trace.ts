/**
 * What the garbage collector does per message, per client, side by side: each client's worker runs
 * its usual warm-up and timed part under `--trace-gc-nvp`, and the scavenges of the timed part are
 * summed up — bytes allocated and promoted (survived into the old generation) per message, the
 * median scavenge pause, and mark-compacts. A client whose short-lived objects are promoted pays
 * twice: each scavenge copies them, and the old generation fills with garbage for the full GCs.
 *   node --import tsx bench/gc-trace.ts [--sink smtp-sink|smtp-server] [--rounds 3] [--clients smtp-machine,raw]
 *     [--node-flags "--no-allocation-site-pretenuring"] [--messages 20000] [--connections 1]
 * Node/V8 flags (`--node-flags`) go to every worker, e.g. to see what V8's allocation-site
 * pretenuring does to a client.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ClientName } from './bench-client.js';
import { checkQuiet } from './busy-cpu.js';
import type { WorkerResult, WorkerTask } from './client-worker.js';
import { median } from './report.js';
import { type SinkName, startSink } from './sinks/sink-process.js';
import { oneKbTask } from './worker-process.js';

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? (process.argv[index + 1] ?? fallback) : fallback;
}

const WORKER = fileURLToPath(new URL('./client-worker.ts', import.meta.url));

interface GcSummary {
  readonly result: WorkerResult;
  readonly scavenges: number;
  readonly allocatedBytes: number;
  readonly promotedBytes: number;
  readonly medianPauseMs: number;
  readonly markCompacts: number;
}

/** `key=value` of one --trace-gc-nvp line, as a number (NaN when absent). */
const field = (line: string, key: string): number =>
  Number(new RegExp(`(?:^|\\s)${key}=([\\d.]+)`).exec(line)?.[1]);

/**
 * One worker under --trace-gc-nvp; only the GCs of the timed part count. V8 stamps each line with ms
 * since the isolate started, the worker its timed span with ms since the process started: the two
 * clocks differ by the few ms before the isolate, against a timed part of seconds.
 */
function traced(task: WorkerTask, flags: readonly string[]): Promise<GcSummary> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [...flags, '--trace-gc-nvp', '--import', 'tsx', WORKER, JSON.stringify(task)],
      { env: { ...process.env, BENCH_MARK_TIMED: '1' }, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.once('exit', (code) => {
      const lines = out.split('\n');
      const resultLine = lines.find((line) => line.startsWith('RESULT '));
      const result =
        resultLine === undefined
          ? undefined
          : (JSON.parse(resultLine.slice('RESULT '.length)) as WorkerResult);
      if (code !== 0 || result?.timedSpanMs === undefined) {
        reject(new Error(`${task.client}: worker exit ${code}`));
        return;
      }
      const [from, to] = result.timedSpanMs;
      const timed = lines.filter((line) => {
        const at = Number(/^\[\d+:0x[0-9a-f]+\]\s+(\d+) ms:/.exec(line)?.[1]);
        return at >= from && at <= to;
      });
      const scavenges = timed.filter((line) => /\bgc=s\b/.test(line));
      resolve({
        result,
        scavenges: scavenges.length,
        allocatedBytes: scavenges.reduce((sum, line) => sum + field(line, 'allocated'), 0),
        promotedBytes: scavenges.reduce((sum, line) => sum + field(line, 'promoted'), 0),
        medianPauseMs: median(scavenges.map((line) => field(line, 'pause'))),
        markCompacts: timed.filter((line) => /\bgc=(mc|ms)\b/.test(line)).length,
      });
    });
  });
}

async function main(): Promise<void> {
  const clients = option('clients', 'smtp-machine,nodemailer,raw').split(',') as ClientName[];
  const rounds = Number(option('rounds', '3'));
  const messages = Number(option('messages', '20000'));
  const flags = option('node-flags', '').split(' ').filter(Boolean);
  const connections = Number(option('connections', '1'));
  console.log(`cores busy with other processes before the run: ${(await checkQuiet()).toFixed(2)}`);
  const sink = await startSink(option('sink', 'smtp-sink') as SinkName);
  const runs = new Map<ClientName, GcSummary[]>(clients.map((client) => [client, []]));
  try {
    for (let round = 0; round < rounds; round++) {
      for (const client of clients) {
        runs.get(client)?.push(await traced(oneKbTask(client, sink.port, { connections, messages }), flags));
      }
    }
  } finally {
    await sink.stop();
  }
  console.log(
    `\n1 KB messages, ${connections} connection(s), ${sink.name}, ${messages} timed messages, ${rounds} rounds (medians)` +
      (flags.length > 0 ? `, ${flags.join(' ')}` : ''),
  );
  console.log(
    'client        | msg/s  | CPU µs/msg | allocated KB/msg | promoted B/msg | scavenge pause ms | msgs per scavenge | mark-compacts',
  );
  for (const [client, list] of runs) {
    const m = (pick: (run: GcSummary) => number) => median(list.map(pick));
    const cells = [
      m((run) => (run.result.messages * 1000) / run.result.wallMs).toFixed(0),
      m((run) => (run.result.cpuMs * 1000) / run.result.messages).toFixed(1),
      m((run) => run.allocatedBytes / 1024 / run.result.messages).toFixed(1),
      m((run) => run.promotedBytes / run.result.messages).toFixed(0),
      m((run) => run.medianPauseMs).toFixed(2),
      m((run) => (run.scavenges === 0 ? Number.NaN : run.result.messages / run.scavenges)).toFixed(0),
      m((run) => run.markCompacts).toFixed(0),
    ];
    console.log(`${client.padEnd(13)} | ${cells.join(' | ')}`);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
