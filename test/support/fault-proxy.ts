/**
 * A toxiproxy-style TCP proxy on 127.0.0.1 for fault tests (threats.md §7): it re-chunks traffic
 * into 1–3 byte pieces, adds latency, and cuts or resets a connection after N bytes in one
 * direction. Every choice comes from a seeded PRNG (no Math.random), so a run replays from its seed.
 */
import { once } from 'node:events';
import * as net from 'node:net';

export type Direction = 'upstream' | 'downstream';

export interface FaultProxyOptions {
  readonly target: { readonly host: string; readonly port: number };
  /** Seed of the PRNG behind chunk sizes and latency. */
  readonly seed?: number;
  /** Split every chunk into pieces of 1..maxChunk bytes, each written in its own turn (0 = forward as read). */
  readonly maxChunk?: number;
  /** Upper bound of the delay added to each chunk read, in ms (0 = none). */
  readonly maxLatencyMs?: number;
  /** Cut right after this many bytes went through in `direction` (0 = as soon as the connection opens). */
  readonly cut?: { readonly direction: Direction; readonly after: number; readonly mode: 'close' | 'reset' };
}

export interface FaultProxy {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Bytes forwarded (totals over every connection). */
  readonly bytes: Readonly<Record<Direction, number>>;
  /** Connections cut by the `cut` rule. */
  readonly cuts: number;
  close(): Promise<void>;
}

/** mulberry32: a tiny, well-known 32-bit PRNG; deterministic from its seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** One direction of one proxied connection: an ordered queue of pieces written one per turn. */
class Pipe {
  #queue: { readonly bytes: Buffer; readonly wait: number }[] = [];
  #pumping = false;
  #forwarded = 0;
  #ending = false;

  constructor(
    private readonly to: net.Socket,
    private readonly options: FaultProxyOptions,
    private readonly random: () => number,
    private readonly limit: number | undefined,
    private readonly onForward: (count: number) => void,
    private readonly onLimit: (lastPiece: Buffer) => void,
  ) {}

  push(chunk: Buffer): void {
    if (this.#forwarded === this.limit) return; // cut: nothing more goes this way
    const max = this.options.maxChunk ?? 0;
    // Latency is paid once per chunk read; its pieces follow one per event-loop turn.
    const latency = this.#latency();
    if (max <= 0) this.#queue.push({ bytes: chunk, wait: latency });
    else {
      for (let offset = 0; offset < chunk.length; ) {
        const size = 1 + Math.floor(this.random() * max);
        this.#queue.push({ bytes: chunk.subarray(offset, offset + size), wait: offset === 0 ? latency : 0 });
        offset += size;
      }
    }
    if (!this.#pumping) void this.#pump();
  }

  /** The source is gone: end the far side once every queued piece is written (FIN after data). */
  end(): void {
    this.#ending = true;
    if (!this.#pumping) void this.#pump();
  }

  async #pump(): Promise<void> {
    this.#pumping = true;
    for (let next = this.#queue.shift(); next !== undefined; next = this.#queue.shift()) {
      const piece = next.bytes;
      if (next.wait > 0) await new Promise((resolve) => setTimeout(resolve, next.wait));
      else if ((this.options.maxChunk ?? 0) > 0) await new Promise((resolve) => setImmediate(resolve));
      if (this.to.destroyed) break;
      if (this.limit !== undefined && this.#forwarded + piece.length >= this.limit) {
        const last = piece.subarray(0, this.limit - this.#forwarded);
        this.#forwarded = this.limit;
        this.onForward(last.length);
        this.#queue = [];
        this.onLimit(last);
        break;
      }
      this.#forwarded += piece.length;
      this.onForward(piece.length);
      this.to.write(piece);
    }
    this.#pumping = false;
    if (this.#ending && this.#queue.length === 0 && !this.to.destroyed) this.to.end();
  }

  #latency(): number {
    const max = this.options.maxLatencyMs ?? 0;
    return max > 0 ? Math.floor(this.random() * (max + 1)) : 0;
  }
}

class ProxyImpl implements FaultProxy {
  readonly host = '127.0.0.1' as const;
  connections = 0;
  cuts = 0;
  readonly bytes: Record<Direction, number> = { upstream: 0, downstream: 0 };
  readonly #server: net.Server;
  readonly #sockets = new Set<net.Socket>();

  constructor(private readonly options: FaultProxyOptions) {
    this.#server = net.createServer((client) => this.#accept(client));
  }

  get port(): number {
    return (this.#server.address() as net.AddressInfo).port;
  }

  async listen(): Promise<void> {
    this.#server.listen(0, '127.0.0.1');
    await once(this.#server, 'listening');
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #track(socket: net.Socket): void {
    this.#sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('error', () => {});
    socket.once('close', () => this.#sockets.delete(socket));
  }

  #accept(client: net.Socket): void {
    const id = this.connections++;
    // One PRNG per direction: the pieces of each byte stream depend on the seed alone, not on timing.
    const seed = (this.options.seed ?? 1) * 7919 + id * 2;
    const upstream = net.connect(this.options.target.port, this.options.target.host);
    this.#track(client);
    this.#track(upstream);
    const cut = this.options.cut;
    let done = false;
    // Cut: the bytes up to the limit still reach the far side (end flushes them), then both sockets go.
    const cutNow = (toward: net.Socket | undefined, last: Buffer): void => {
      if (done) return;
      done = true;
      this.cuts += 1;
      const other = toward === client ? upstream : client;
      if (cut?.mode === 'reset') {
        if (toward && last.length > 0) toward.write(last);
        toward?.resetAndDestroy();
        other.resetAndDestroy();
        return;
      }
      toward?.end(last);
      other.destroy();
      if (toward) setTimeout(() => toward.destroy(), 50).unref();
    };
    const limitFor = (direction: Direction): number | undefined =>
      cut?.direction === direction ? cut.after : undefined;
    const up = new Pipe(
      upstream,
      this.options,
      seededRandom(seed),
      limitFor('upstream'),
      (n) => (this.bytes.upstream += n),
      (last) => cutNow(upstream, last),
    );
    const down = new Pipe(
      client,
      this.options,
      seededRandom(seed + 1),
      limitFor('downstream'),
      (n) => (this.bytes.downstream += n),
      (last) => cutNow(client, last),
    );
    client.on('data', (chunk: Buffer) => up.push(chunk));
    upstream.on('data', (chunk: Buffer) => down.push(chunk));
    // A close on either side closes the other once its queue is written (FIN travels in order).
    client.once('end', () => up.end());
    client.once('close', () => up.end());
    upstream.once('end', () => down.end());
    upstream.once('close', () => down.end());
    if (cut?.after === 0) {
      upstream.once('connect', () =>
        cutNow(cut.direction === 'upstream' ? upstream : client, Buffer.alloc(0)),
      );
    }
  }
}

/** Starts a fault proxy on 127.0.0.1 (ephemeral port) in front of `options.target`. */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const proxy = new ProxyImpl(options);
  await proxy.listen();
  return proxy;
}
