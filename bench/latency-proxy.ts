/**
 * A loopback TCP proxy that holds every chunk `delay` ms in each direction, preserving order, to
 * count round trips per message. Own process: node --import tsx bench/latency-proxy.ts <targetPort> <delayMs>
 * prints `READY <port>`. Nagle is off on both sides so the only delay is ours.
 */
import * as net from 'node:net';

interface Held {
  readonly due: number;
  readonly chunk: Buffer | null; // null = the sender's FIN
}

/** Forwards `from` → `to`, each chunk `delay` ms after it arrived, in arrival order. */
function delayedPipe(from: net.Socket, to: net.Socket, delay: number): void {
  const queue: Held[] = [];
  let head = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const flush = (): void => {
    timer = undefined;
    const now = performance.now();
    while (head < queue.length && (queue[head] as Held).due <= now + 0.25) {
      const { chunk } = queue[head++] as Held;
      if (chunk === null) to.end();
      else if (!to.destroyed) to.write(chunk);
    }
    if (head === queue.length) {
      queue.length = 0;
      head = 0;
    }
    if (to.writableLength > 16 * 1024 * 1024) from.pause();
    schedule();
  };
  const schedule = (): void => {
    if (timer !== undefined || head === queue.length) return;
    timer = setTimeout(flush, Math.max(0, (queue[head] as Held).due - performance.now()));
  };
  to.on('drain', () => from.resume());
  from.on('data', (chunk: Buffer) => {
    queue.push({ due: performance.now() + delay, chunk });
    schedule();
  });
  from.on('end', () => {
    queue.push({ due: performance.now() + delay, chunk: null });
    schedule();
  });
}

function main(): void {
  const targetPort = Number(process.argv[2]);
  const delay = Number(process.argv[3] ?? 10);
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: '127.0.0.1', port: targetPort });
    for (const socket of [client, upstream]) {
      socket.setNoDelay(true);
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    delayedPipe(client, upstream, delay);
    delayedPipe(upstream, client, delay);
  });
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    process.stdout.write(`READY ${address.port}\n`);
  });
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
}

main();
