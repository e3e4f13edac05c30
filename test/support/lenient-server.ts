/**
 * A deliberately lenient SMTP server on 127.0.0.1 (threats.md §2): like the servers behind SMTP
 * smuggling (CVE-2023-51764/51765/51766) it ends DATA at `<CR|LF|CRLF>.<CR|LF|CRLF>` (NUL allowed
 * around the dot) and reads whatever follows as new commands. It also serves STARTTLS / implicit TLS
 * with caller-chosen TLS options (e.g. TLS 1.1 only) and records SNI, protocol and every raw byte.
 */
import { once } from 'node:events';
import * as net from 'node:net';
import * as tls from 'node:tls';

export interface LenientServerOptions {
  /** EHLO keywords. Default PIPELINING, 8BITMIME (+ STARTTLS when `tls` is set and not implicit). */
  readonly capabilities?: readonly string[];
  /** Key, certificate and any tls.createSecureContext option (minVersion, maxVersion, ciphers, ...). */
  readonly tls?: tls.SecureContextOptions;
  readonly implicitTls?: boolean;
  /** Decides the reply to a command line: a string (CRLF added when missing), null = silence, undefined = default. */
  readonly reply?: (line: string, connection: LenientConnection) => string | null | undefined;
}

export interface LenientTransaction {
  readonly connection: number;
  readonly from: string;
  readonly to: readonly string[];
  /** Every byte after the 354 up to and including the (lenient) terminator. */
  readonly raw: Buffer;
}

export interface LenientConnection {
  readonly id: number;
  /** Command lines (CR stripped) in order, with whether they arrived over TLS. */
  readonly lines: readonly { readonly line: string; readonly secure: boolean }[];
  /** SNI the client sent (false: none) once TLS is up. */
  readonly servername: string | false | undefined;
  readonly protocol: string | null | undefined;
  /** Size of every read, in order (decrypted reads after TLS). */
  readonly readSizes: readonly number[];
  readonly tlsError: Error | undefined;
  readonly isClosed: boolean;
  /** Every application byte received before TLS (or all of them without TLS). */
  plaintext(): Buffer;
  /** Writes raw bytes to the client, bypassing any TLS layer (for injection tests). */
  writeRaw(data: string | Uint8Array): void;
  /** Writes through the current layer (TLS once up). */
  write(data: string | Uint8Array): void;
  destroy(): void;
}

export interface LenientServer {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly connections: readonly LenientConnection[];
  readonly transactions: readonly LenientTransaction[];
  waitFor(predicate: () => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** End of DATA as the lenient servers read it; a trailing lone CR may still become CRLF, so it waits. */
const LENIENT_TERMINATOR = /(?:^|\r\n|\r|\n)\x00?\.\x00?(?:\r\n|\r|\n)/;

function findLenientEnd(data: Buffer): number {
  const text = data.toString('latin1');
  const match = LENIENT_TERMINATOR.exec(text);
  if (!match) return -1;
  const end = match.index + match[0].length;
  if (match[0].endsWith('\r') && end === text.length) return -1;
  return end;
}

class Connection implements LenientConnection {
  readonly lines: { line: string; secure: boolean }[] = [];
  readonly readSizes: number[] = [];
  servername: string | false | undefined;
  protocol: string | null | undefined;
  tlsError: Error | undefined;
  isClosed = false;
  #plain: Buffer[] = [];
  #stream: net.Socket;
  #secure = false;
  #buffer = Buffer.alloc(0);
  #data: Buffer | undefined;
  #from = '';
  #to: string[] = [];
  readonly #onData = (chunk: Buffer): void => this.#handle(chunk);

  constructor(
    readonly id: number,
    private readonly raw: net.Socket,
    private readonly server: ServerImpl,
  ) {
    this.#stream = raw;
    raw.setNoDelay(true);
    raw.on('error', () => {});
    raw.once('close', () => {
      this.isClosed = true;
    });
    if (server.options.implicitTls) this.#upgrade(() => this.#greet());
    else {
      raw.on('data', this.#onData);
      this.#greet();
    }
  }

  plaintext(): Buffer {
    return Buffer.concat(this.#plain);
  }

  writeRaw(data: string | Uint8Array): void {
    if (!this.raw.destroyed) this.raw.write(data);
  }

  write(data: string | Uint8Array): void {
    if (!this.#stream.destroyed && this.#stream.writable) this.#stream.write(data);
  }

  destroy(): void {
    this.#stream.destroy();
  }

  #greet(): void {
    this.#respond('GREETING', '220 lenient.test ESMTP');
  }

  #respond(line: string, fallback: string | null): string | null {
    const custom = this.server.options.reply?.(line, this);
    const reply = custom === undefined ? fallback : custom;
    if (reply !== null) this.write(reply.endsWith('\r\n') ? reply : `${reply}\r\n`);
    return reply;
  }

  #handle(chunk: Buffer): void {
    this.readSizes.push(chunk.length);
    if (!this.#secure) this.#plain.push(Buffer.from(chunk));
    this.#buffer = Buffer.concat([this.#buffer, chunk]);
    while (this.#buffer.length > 0 && !this.isClosed) {
      if (this.#data !== undefined) {
        const end = findLenientEnd(this.#buffer);
        if (end === -1) return;
        this.#finishData(this.#buffer.subarray(0, end));
        this.#buffer = this.#buffer.subarray(end);
        continue;
      }
      const newline = this.#buffer.indexOf(0x0a);
      if (newline === -1) return;
      const line = this.#buffer.subarray(0, newline).toString('utf8').replace(/\r$/, '');
      this.#buffer = this.#buffer.subarray(newline + 1);
      if (this.#command(line) === 'upgraded') return;
    }
  }

  #finishData(raw: Buffer): void {
    this.#data = undefined;
    this.server.transactions.push({
      connection: this.id,
      from: this.#from,
      to: [...this.#to],
      raw: Buffer.from(raw),
    });
    this.#to = [];
    this.#respond('.', `250 2.0.0 Ok queued as L${this.server.transactions.length}`);
  }

  #command(line: string): 'upgraded' | undefined {
    this.lines.push({ line, secure: this.#secure });
    const verb = (line.split(' ', 1)[0] ?? '').toUpperCase();
    const reply = this.#respond(line, this.#defaultReply(verb, line));
    const code = reply?.slice(0, 3);
    if (verb === 'MAIL' && code === '250') this.#from = /<([^>]*)>/.exec(line)?.[1] ?? '';
    if (verb === 'RCPT' && code === '250') this.#to.push(/<(.*)>/.exec(line)?.[1] ?? '');
    if (verb === 'DATA' && code === '354') this.#data = Buffer.alloc(0);
    if (verb === 'QUIT') this.#stream.end();
    if (verb === 'STARTTLS' && code === '220') {
      // RFC 3207 §4: the handshake starts now; anything buffered in plaintext is dropped.
      this.#buffer = Buffer.alloc(0);
      this.#upgrade(() => {});
      return 'upgraded';
    }
    return undefined;
  }

  #defaultReply(verb: string, line: string): string {
    switch (verb) {
      case 'EHLO': {
        const keywords = ['lenient.test', ...this.server.capabilities(this.#secure)];
        return keywords.map((k, i) => `250${i === keywords.length - 1 ? ' ' : '-'}${k}`).join('\r\n');
      }
      case 'HELO':
        return '250 lenient.test';
      case 'STARTTLS':
        return this.server.options.tls && !this.#secure ? '220 2.0.0 Ready' : '454 4.7.0 TLS not available';
      case 'AUTH':
        return '235 2.7.0 Authenticated';
      case 'MAIL':
      case 'RCPT':
      case 'RSET':
      case 'NOOP':
        return '250 2.0.0 Ok';
      case 'DATA':
        return this.#to.length > 0 ? '354 End data with <CR><LF>.<CR><LF>' : '503 5.5.1 No recipients';
      case 'QUIT':
        return '221 2.0.0 Bye';
      default:
        return line === '' ? '500 5.5.2 Empty line' : '500 5.5.2 Unknown command';
    }
  }

  #upgrade(onSecure: () => void): void {
    this.raw.removeListener('data', this.#onData);
    const options = this.server.options.tls ?? {};
    const secure = new tls.TLSSocket(this.raw, {
      isServer: true,
      secureContext: tls.createSecureContext(options),
    });
    secure.on('error', (error) => {
      this.tlsError = error;
      secure.destroy();
    });
    secure.once('secure', () => {
      this.#secure = true;
      this.servername = (secure as tls.TLSSocket & { servername?: string | false }).servername ?? false;
      this.protocol = secure.getProtocol();
      onSecure();
    });
    secure.on('data', this.#onData);
    this.#stream = secure;
  }
}

class ServerImpl implements LenientServer {
  readonly host = '127.0.0.1' as const;
  readonly connections: Connection[] = [];
  readonly transactions: LenientTransaction[] = [];
  readonly #server: net.Server;

  constructor(readonly options: LenientServerOptions) {
    this.#server = net.createServer((socket) => {
      this.connections.push(new Connection(this.connections.length, socket, this));
    });
  }

  get port(): number {
    return (this.#server.address() as net.AddressInfo).port;
  }

  capabilities(secure: boolean): readonly string[] {
    const base = this.options.capabilities ?? ['PIPELINING', '8BITMIME'];
    const offerTls = this.options.tls !== undefined && !this.options.implicitTls && !secure;
    return offerTls && !base.includes('STARTTLS') ? [...base, 'STARTTLS'] : base;
  }

  async listen(): Promise<void> {
    this.#server.listen(0, '127.0.0.1');
    await once(this.#server, 'listening');
  }

  async waitFor(predicate: () => boolean, timeoutMs = 2000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error('lenient server: waitFor timed out');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  async close(): Promise<void> {
    for (const connection of this.connections) connection.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

/** Starts a lenient server on 127.0.0.1 with an ephemeral port. */
export async function startLenientServer(options: LenientServerOptions = {}): Promise<LenientServer> {
  const server = new ServerImpl(options);
  await server.listen();
  return server;
}
