/**
 * A loopback TCP proxy for the pool's cut-point sweep (threats.md §7): it forwards bytes as read,
 * and on the first `cutConnections` connections cuts after exactly `after` bytes in `direction`:
 * those bytes still reach the far side (then FIN), and the near side is dropped at once. Later
 * connections pass untouched, so retries can succeed. It records each connection's bytes.
 */
import { once } from 'node:events';
import * as net from 'node:net';

export type Direction = 'upstream' | 'downstream';

export interface CutProxyOptions {
  readonly target: { readonly host: string; readonly port: number };
  readonly cut?: { readonly direction: Direction; readonly after: number };
  /** How many connections (in accept order) get the cut. Default 1. */
  readonly cutConnections?: number;
}

export interface CutProxy {
  readonly port: number;
  /** Bytes forwarded per connection (accept order) and direction. */
  readonly forwarded: readonly Record<Direction, Buffer[]>[];
  close(): Promise<void>;
}

export async function startCutProxy(options: CutProxyOptions): Promise<CutProxy> {
  const sockets = new Set<net.Socket>();
  const forwarded: Record<Direction, Buffer[]>[] = [];
  const track = (socket: net.Socket): void => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    socket.once('close', () => sockets.delete(socket));
  };
  const server = net.createServer((client) => {
    const index = forwarded.length;
    const record: Record<Direction, Buffer[]> = { upstream: [], downstream: [] };
    forwarded.push(record);
    const upstream = net.connect(options.target.port, options.target.host);
    track(client);
    track(upstream);
    const cut = index < (options.cutConnections ?? 1) ? options.cut : undefined;
    let cutDone = false;
    const pipe = (from: net.Socket, to: net.Socket, direction: Direction): void => {
      let count = 0;
      const limit = cut?.direction === direction ? cut.after : Number.POSITIVE_INFINITY;
      from.on('data', (chunk: Buffer) => {
        if (cutDone) return;
        const piece = chunk.subarray(0, Math.max(0, limit - count));
        count += piece.length;
        record[direction].push(piece);
        if (count < limit) {
          to.write(piece);
          return;
        }
        cutDone = true;
        to.end(piece);
        from.destroy();
      });
      from.once('end', () => {
        if (!cutDone) to.end();
      });
      from.once('close', () => {
        if (!cutDone) to.end();
      });
    };
    pipe(client, upstream, 'upstream');
    pipe(upstream, client, 'downstream');
    if (cut?.after === 0) {
      upstream.once('connect', () => {
        cutDone = true;
        (cut.direction === 'upstream' ? upstream : client).end();
        (cut.direction === 'upstream' ? client : upstream).destroy();
      });
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as net.AddressInfo).port,
    forwarded,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
