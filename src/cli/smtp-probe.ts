/**
 * A deliberately simple, step-at-a-time SMTP conversation for `smtp-machine check`: it waits for one
 * reply at a time with a timeout so each step (greeting, EHLO, STARTTLS per RFC 3207, AUTH per
 * RFC 4954, QUIT) can be timed and diagnosed on its own. Sending mail goes through createClient.
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

/** Opens TCP to `address:port` within `timeoutMs`; rejects with Node's error or ProbeTimeout. */
export function connectTcp(address: string, port: number, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: address, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new ProbeTimeout(`no TCP connection within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** TLS on an open socket (implicit TLS right after connect, or after `220` to STARTTLS). */
export function startTls(
  socket: net.Socket,
  options: tls.ConnectionOptions,
  timeoutMs: number,
): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const secure = tls.connect({ ...options, socket });
    const timer = setTimeout(() => {
      secure.destroy();
      reject(new ProbeTimeout(`no TLS handshake within ${timeoutMs} ms`));
    }, timeoutMs);
    secure.once('secureConnect', () => {
      clearTimeout(timer);
      secure.removeAllListeners('error');
      resolve(secure);
    });
    secure.once('error', (error) => {
      clearTimeout(timer);
      secure.destroy();
      reject(error);
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

  constructor(socket: net.Socket) {
    this.#socket = socket;
    this.#attach();
  }

  get socket(): net.Socket {
    return this.#socket;
  }

  /** Bytes received after the last complete reply (must be 0 before a STARTTLS upgrade). */
  get pendingBytes(): number {
    return this.#parser.bufferedBytes + this.#replies.length;
  }

  async reply(timeoutMs: number): Promise<Reply> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const reply = this.#replies.shift();
      if (reply !== undefined) return reply;
      if (this.#failure !== undefined) throw this.#failure;
      const left = deadline - Date.now();
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
    const secure = await startTls(this.#socket, options, timeoutMs);
    this.#socket = secure;
    this.#attach();
    return secure;
  }

  close(): void {
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
