/**
 * Where the wall time of a message goes on one pipelined connection, per client, side by side: the
 * client's part of each cycle (read of the replies → first write of the next flight) and the rest
 * (that write → the next read: the server, two wake-ups, and client work that does not overlap with
 * them). See critical-path-hooks.ts. "wall − medians" is the mean wall per message less the two
 * medians: what the typical cycle does not show (GC pauses, other outliers; one cycle per message).
 * "of it idle" is the part of write → read the client's event loop spent waiting: the rest is the
 * write's system call and the client's own work after it, which the server's turnaround did not hide.
 * Rounds alternate the clients, each its own worker process with the usual warm-up; the table shows
 * medians over the rounds of each worker's medians.
 *   node --import tsx bench/critical-path.ts [--sink smtp-sink|smtp-server] [--rounds 5] [--cpus 0]
 */
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

const CLIENTS: readonly ClientName[] = ['smtp-machine', 'nodemailer', 'raw'];
const COLUMNS = [
  'readToWriteUs',
  'handlerUs',
  'writeToReadUs',
  'idleAfterWriteUs',
  'readsPerMessage',
  'writesPerMessage',
] as const;

async function main(): Promise<void> {
  const rounds = Number(option('rounds', '5'));
  const sinkName = option('sink', 'smtp-sink') as SinkName;
  const cpus = process.argv.includes('--cpus') ? option('cpus', '0') : undefined;
  console.log(`cores busy with other processes before the run: ${(await checkQuiet()).toFixed(2)}`);
  const results = new Map<ClientName, WorkerResult[]>(CLIENTS.map((client) => [client, []]));
  const sink = await startSink(sinkName, cpus);
  try {
    for (let round = 0; round < rounds; round++) {
      for (const client of CLIENTS) {
        const result = await runWorker(
          oneKbTask(client, sink.port),
          180_000,
          { ...process.env, BENCH_CRITICAL_PATH: '1' },
          cpus,
        );
        results.get(client)?.push(result);
      }
      console.log(`round ${round + 1} done`);
    }
  } finally {
    await sink.stop();
  }
  console.log(
    `\n1 KB messages, 1 connection, ${sinkName}${cpus === undefined ? '' : `, CPU ${cpus}`}, ${rounds} rounds`,
  );
  console.log(
    [
      'client'.padEnd(13),
      'wall µs/msg',
      'wall − medians',
      'read→write µs',
      'in handler µs',
      'write→read µs',
      'of it idle µs',
      'reads/msg',
      'writes/msg',
    ].join(' | '),
  );
  for (const [client, runs] of results) {
    const column = (name: (typeof COLUMNS)[number]) =>
      median(runs.map((run) => run.counters?.[name] ?? Number.NaN));
    const wall = median(runs.map((run) => (run.wallMs * 1000) / run.messages));
    console.log(
      [
        client.padEnd(13),
        wall.toFixed(1).padStart(11),
        (wall - column('readToWriteUs') - column('writeToReadUs')).toFixed(1).padStart(14),
        ...COLUMNS.map((name, i) =>
          column(name)
            .toFixed(i < 3 ? 1 : 2)
            .padStart(i < 3 ? 13 : 9),
        ),
      ].join(' | '),
    );
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
