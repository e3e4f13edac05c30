/**
 * Long-run memory: sends 1 KB messages through one createClient or a createPool (recycling its
 * connections every `--per` messages) to Postfix's smtp-sink and prints the heap after a full GC
 * every 20,000 messages. A leak per message or per connection shows as a heap that keeps growing;
 * a flat line is the pass. Not a timing benchmark.
 *   npm run build && node --expose-gc --import tsx bench/soak.ts [--kind client|pool] [--messages 240000] [--per 1000]
 */
import { buildMessage, FROM, TO } from './message-fixture.js';
import { startSink } from './sinks/sink-process.js';

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? (process.argv[index + 1] ?? fallback) : fallback;
}

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');
const { createClient, createPool } = (await import(
  new URL('../dist/index.js', import.meta.url).href
)) as typeof import('../src/index.js');

const kind = option('kind', 'client');
const total = Number(option('messages', '240000'));
const per = Number(option('per', '1000'));
const BODY = buildMessage(1024);
const sink = await startSink('smtp-sink');
const base = { host: '127.0.0.1', port: sink.port, security: 'none' as const };
const sender =
  kind === 'pool'
    ? createPool({ ...base, maxConnections: 3, maxMessagesPerConnection: per })
    : createClient(base);

const heapMb = (): number => {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 1e6;
};
console.log(`${kind}${kind === 'pool' ? `, a new connection every ${per} messages` : ''}: heap after GC`);
for (let sent = 0; sent < total; ) {
  const batch: Promise<unknown>[] = [];
  for (let i = 0; i < 2000; i++) batch.push(sender.send({ from: FROM, to: [TO], message: BODY }));
  await Promise.all(batch);
  sent += batch.length;
  if (sent % 20_000 === 0) console.log(`${String(sent).padStart(8)} messages  ${heapMb().toFixed(2)} MB`);
}
await sender.close();
await sink.stop();
