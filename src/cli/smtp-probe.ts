/**
 * A deliberately simple, step-at-a-time SMTP conversation for `smtp-machine check`: it waits for one
 * reply at a time with a timeout so each step (greeting, EHLO, STARTTLS per RFC 3207, AUTH per
 * RFC 4954, QUIT) can be timed and diagnosed on its own, and stopped by an AbortSignal. Sending mail
 * goes through createPool.
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import { type Command, encodeCommand } from '../protocol/command.js';
import { ReplyParser } from '../protocol/reply-parser.js';
import type { Reply } from '../protocol/reply-types.js';

export class ProbeTimeout extends Error {
  override readonly name = 'ProbeTimeout';
}

export class ProbeClosed extends Error {
  override readonly name = 'ProbeClosed';
}

/** The caller's signal fired (SIGINT/SIGTERM): the probe stopped and closed its socket. */
export class ProbeAborted extends Error {
  override readonly name = 'ProbeAborted';
  constructor(signal: AbortSignal | undefined) {
    const reason = signal?.reason;
    super(`interrupted${reason instanceof Error ? ` (${reason.message})` : ''}`);
  }
}

/**
 * Settles `start`'s promise at most once, with a timeout and the caller's abort: both destroy
 * `socket` (so nothing lingers) and reject with ProbeTimeout / ProbeAborted.
 */
function guarded<T>(
  socket: net.Socket,
  timeoutMs: number,
  timeoutMessage: string,
  signal: AbortSignal | undefined,
  start: (resolve: (value: T) => void, reject: (error: unknown) => void) => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const finish = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const fail = (error: unknown): void => {
      finish();
      socket.destroy();
      reject(error);
    };
    const onAbort = (): void => fail(new ProbeAborted(signal));
    const timer = setTimeout(() => fail(new ProbeTimeout(timeoutMessage)), timeoutMs);
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    start((value) => {
      finish();
      resolve(value);
    }, fail);
  });
}

/** Opens TCP to `address:port` within `timeoutMs`; rejects with Node's error, ProbeTimeout or ProbeAborted. */
export function connectTcp(
  address: string,
  port: number,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<net.Socket> {
  const socket = net.connect({ host: address, port });
  socket.on('error', () => {}); // reported through the promise; later errors belong to the next owner
  return guarded(socket, timeoutMs, `no TCP connection within ${timeoutMs} ms`, signal, (resolve, reject) => {
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
  });
}

/** TLS on an open socket (implicit TLS right after connect, or after `220` to STARTTLS). */
export function startTls(
  socket: net.Socket,
  options: tls.ConnectionOptions,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<tls.TLSSocket> {
  const secure = tls.connect({ ...options, socket });
  secure.on('error', () => {});
  return guarded(secure, timeoutMs, `no TLS handshake within ${timeoutMs} ms`, signal, (resolve, reject) => {
    secure.once('error', reject);
    secure.once('secureConnect', () => {
      secure.off('error', reject);
      resolve(secure);
    });
  });
}

/** Reads whole replies from a socket, one awaited reply at a time. */
export class Conversation {
  #socket: net.Socket;
  readonly #parser = new ReplyParser();
  readonly #replies: Reply[] = [];
  #waiter: (() => void) | undefined;
  #failure: Error | undefined;
  readonly #onData = (chunk: Buffer): void => {
    try {
      this.#replies.push(...this.#parser.push(chunk));
    } catch (error) {
      this.#failure = error as Error;
    }
    this.#wake();
  };
  readonly #onEnd = (): void => {
    this.#failure ??= new ProbeClosed('the server closed the connection');
    this.#wake();
  };

  readonly #signal: AbortSignal | undefined;
  readonly #onAbort = (): void => {
    this.#failure = new ProbeAborted(this.#signal);
    this.close();
    this.#wake();
  };

  /** With `signal`, an abort closes the socket and fails the pending and every later reply(). */
  constructor(socket: net.Socket, signal?: AbortSignal) {
    this.#socket = socket;
    this.#signal = signal;
    this.#attach();
    if (signal?.aborted) this.#onAbort();
    else signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  get socket(): net.Socket {
    return this.#socket;
  }

  /** Bytes received after the last complete reply (must be 0 before a STARTTLS upgrade). */
  get pendingBytes(): number {
    return this.#parser.bufferedBytes + this.#replies.length;
  }

  async reply(timeoutMs: number): Promise<Reply> {
    // Monotonic: a wall-clock step must neither cut the wait short nor stretch it.
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const reply = this.#replies.shift();
      if (reply !== undefined) return reply;
      if (this.#failure !== undefined) throw this.#failure;
      const left = deadline - performance.now();
      if (left <= 0) throw new ProbeTimeout(`no reply within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#waiter = undefined;
    }
  }

  write(command: Command): void {
    this.#socket.write(encodeCommand(command));
  }

  async command(command: Command, timeoutMs: number): Promise<Reply> {
    this.write(command);
    return this.reply(timeoutMs);
  }

  /** Hands the socket to TLS: stops reading plaintext first, so nothing read before the upgrade survives it. */
  async upgrade(options: tls.ConnectionOptions, timeoutMs: number): Promise<tls.TLSSocket> {
    this.#detach();
    const secure = await startTls(this.#socket, options, timeoutMs, this.#signal);
    this.#socket = secure;
    this.#attach();
    return secure;
  }

  close(): void {
    this.#signal?.removeEventListener('abort', this.#onAbort);
    this.#detach();
    this.#socket.on('error', () => {});
    this.#socket.destroy();
  }

  #attach(): void {
    this.#socket.on('data', this.#onData);
    this.#socket.on('end', this.#onEnd);
    this.#socket.on('close', this.#onEnd);
    this.#socket.on('error', this.#onEnd);
  }

  #detach(): void {
    this.#socket.off('data', this.#onData);
    this.#socket.off('end', this.#onEnd);
    this.#socket.off('close', this.#onEnd);
    this.#socket.off('error', this.#onEnd);
  }

  #wake(): void {
    this.#waiter?.();
  }
}
