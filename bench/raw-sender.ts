/**
 * The "wire's limit" reference: a minimal plaintext SMTP sender written only for the benchmark.
 * EHLO once; with PIPELINING (RFC 2920) each flight is `body + dot + next MAIL/RCPT/DATA`, so a
 * message costs one round trip; without it, lock-step (4 round trips). It counts replies, no more.
 */
import * as net from 'node:net';
import { DataEncoder } from '../src/protocol/data-encoder.js';
import { CLIENT_NAME, FROM, TO } from './message-fixture.js';

/** The pipelined envelope, encoded per message (addresses would differ in real traffic). */
const envelope = (from = FROM, to = TO): Buffer =>
  Buffer.from(`MAIL FROM:<${from}>\r\nRCPT TO:<${to}>\r\nDATA\r\n`, 'latin1');
const MAIL = Buffer.from(`MAIL FROM:<${FROM}>\r\n`, 'latin1');
const RCPT = Buffer.from(`RCPT TO:<${TO}>\r\n`, 'latin1');
const DATA = Buffer.from('DATA\r\n', 'latin1');

interface Waiter {
  count: number;
  lines: string[];
  resolve(lines: string[]): void;
  reject(error: Error): void;
}

/** One connection. Replies are counted by their last line (code + space); every code is checked. */
export class RawConnection {
  pipelining = false;
  readonly #socket: net.Socket;
  #pending = '';
  #waiter: Waiter | undefined;
  #failure: Error | undefined;

  private constructor(socket: net.Socket) {
    this.#socket = socket;
    socket.setNoDelay(true);
    socket.setEncoding('latin1');
    socket.on('data', (text: string) => this.#onData(text));
    socket.on('error', (error) => this.#fail(error));
    socket.on('close', () => this.#fail(new Error('connection closed')));
  }

  static async open(host: string, port: number): Promise<RawConnection> {
    const socket = net.connect({ host, port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const connection = new RawConnection(socket);
    await connection.#expect(1, '2');
    connection.#socket.write(`EHLO ${CLIENT_NAME}\r\n`);
    const [ehlo] = await connection.#expect(1, '2');
    connection.pipelining = /^250[- ]PIPELINING\b/im.test(ehlo ?? '');
    return connection;
  }

  /** Sends `count` copies of an already dot-stuffed, terminated body. Resolves when the last is accepted. */
  async sendEncoded(count: number, encoded: Uint8Array, pipelining = this.pipelining): Promise<void> {
    if (count === 0) return;
    if (!pipelining) {
      for (let i = 0; i < count; i++) await this.#lockStep(encoded);
      return;
    }
    this.#socket.write(envelope());
    await this.#expect(3, '2', '2', '3');
    for (let i = 1; i < count; i++) {
      // One write per flight (no Nagle wait), built per message as a real sender must: body, dot, next envelope.
      this.#socket.write(Buffer.concat([encoded, envelope()]));
      await this.#expect(4, '2', '2', '2', '3');
    }
    this.#socket.write(encoded);
    await this.#expect(1, '2');
  }

  /** One message from a stream, dot-stuffed on the fly by the project's DataEncoder (with back-pressure). */
  async sendStream(source: AsyncIterable<Uint8Array>): Promise<void> {
    this.#socket.write(envelope());
    await this.#expect(3, '2', '2', '3');
    const encoder = new DataEncoder();
    for await (const chunk of source) {
      const bytes = encoder.push(chunk);
      if (!this.#socket.write(bytes)) await new Promise((resolve) => this.#socket.once('drain', resolve));
    }
    this.#socket.write(encoder.end());
    await this.#expect(1, '2');
  }

  /** One NOOP round trip (used to measure the latency proxy's real round-trip time). */
  async noop(): Promise<void> {
    this.#socket.write('NOOP\r\n');
    await this.#expect(1, '2');
  }

  async quit(): Promise<void> {
    this.#socket.write('QUIT\r\n');
    await this.#expect(1, '2').catch(() => {});
    this.#socket.destroy();
  }

  async #lockStep(encoded: Uint8Array): Promise<void> {
    for (const [command, code] of [
      [MAIL, '2'],
      [RCPT, '2'],
      [DATA, '3'],
    ] as const) {
      this.#socket.write(command);
      await this.#expect(1, code);
    }
    this.#socket.write(encoded);
    await this.#expect(1, '2');
  }

  /** Waits for `count` replies whose first digits are `codes` (a refusal is an error: the run is void). */
  #expect(count: number, ...codes: string[]): Promise<string[]> {
    if (this.#failure) return Promise.reject(this.#failure);
    return new Promise<string[]>((resolve, reject) => {
      this.#waiter = { count, lines: [], resolve, reject };
      this.#drainLines();
    }).then((replies) => {
      replies.forEach((reply, i) => {
        if (reply[0] !== codes[i]) throw new Error(`unexpected reply ${JSON.stringify(reply.slice(0, 80))}`);
      });
      return replies;
    });
  }

  #onData(text: string): void {
    this.#pending += text;
    this.#drainLines();
  }

  /** Moves whole replies from the input into the waiter; multi-line replies are joined. */
  #drainLines(): void {
    const waiter = this.#waiter;
    if (!waiter) return;
    let start = 0;
    let reply = '';
    for (;;) {
      const end = this.#pending.indexOf('\n', start);
      if (end < 0) break;
      const line = this.#pending.slice(start, end + 1);
      start = end + 1;
      reply += line;
      if (line.length < 5 || line[3] !== '-') {
        waiter.lines.push(reply);
        reply = '';
        if (waiter.lines.length === waiter.count) break;
      }
    }
    // Keep a partial multi-line reply for the next chunk.
    this.#pending = reply + this.#pending.slice(start);
    if (waiter.lines.length === waiter.count) {
      this.#waiter = undefined;
      waiter.resolve(waiter.lines);
    }
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.reject(error);
  }
}
