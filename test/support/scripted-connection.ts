/**
 * One connection of the scripted SMTP server: line and DATA framing (RFC 5321 §4.5.2), replies via
 * the server's overrides, STARTTLS upgrade in place (RFC 3207 §4) and byte-exact recording.
 */
import type * as net from 'node:net';
import * as tls from 'node:tls';
import { applyReply, bdatOf, type ConnectionState, type ScriptedVerb, verbOf } from './scripted-replies.js';
import type {
  ReceivedChunk,
  ReceivedCommand,
  ScriptedConnection,
  ScriptedServerOptions,
  ScriptedTransaction,
} from './scripted-server.js';

/** What a connection needs from its server. */
export interface ConnectionHost {
  readonly options: ScriptedServerOptions;
  readonly transactions: ScriptedTransaction[];
  dataOctets: number;
  replyFor(verb: ScriptedVerb, line: string, connection: ScriptedConnection): string | null;
}

const CRLF = Buffer.from('\r\n');

function withCrlf(reply: string): string {
  return reply.endsWith('\r\n') ? reply : `${reply}\r\n`;
}

/** Finds the end of DATA: ".\r\n" at the start or "\r\n.\r\n"; returns the index after it. */
function findTerminator(data: Buffer, from: number): number {
  if (data.length >= 3 && data[0] === 0x2e && data[1] === 0x0d && data[2] === 0x0a) return 3;
  const index = data.indexOf('\r\n.\r\n', Math.max(0, from - 4));
  return index === -1 ? -1 : index + 5;
}

function unstuff(raw: Buffer): Buffer {
  const body = raw.subarray(0, raw.length - 3); // drop ".\r\n"
  const lines: Buffer[] = [];
  let start = 0;
  while (start < body.length) {
    const end = body.indexOf(CRLF, start);
    const stop = end === -1 ? body.length : end + 2;
    const line = body.subarray(start, stop);
    lines.push(line[0] === 0x2e ? line.subarray(1) : line);
    start = stop;
  }
  return Buffer.concat(lines);
}

export class Connection implements ScriptedConnection {
  readonly state: ConnectionState = {
    secure: false,
    authenticated: false,
    auth: undefined,
    from: undefined,
    mailParams: [],
    to: [],
    messages: 0,
  };
  readonly chunks: ReceivedChunk[] = [];
  readonly commands: ReceivedCommand[] = [];
  discardedAfterStartTls = Buffer.alloc(0);
  pendingData = Buffer.alloc(0);
  tlsError: Error | undefined;
  isClosed = false;
  readonly whenClosed: Promise<void>;
  private stream: net.Socket;
  private lineBuffer = Buffer.alloc(0);
  private dataMode = false;
  /** A BDAT chunk being read (RFC 3030 §2): its command line, octets still owed, data so far. */
  private bdat: { line: string; remaining: number; parts: Buffer[] } | undefined;
  /** Every chunk of the current BDAT transaction. */
  private bdatParts: Buffer[] = [];
  private readonly onData = (chunk: Buffer): void => this.handleChunk(chunk);

  constructor(
    readonly id: number,
    private readonly raw: net.Socket,
    private readonly server: ConnectionHost,
  ) {
    this.stream = raw;
    raw.setNoDelay(true);
    // Not events.once(): it rejects when 'error' (e.g. ECONNRESET) comes before 'close'.
    this.whenClosed = new Promise((resolve) =>
      raw.once('close', () => {
        this.isClosed = true;
        resolve();
      }),
    );
    raw.on('error', () => {});
    if (server.options.implicitTls) {
      this.upgrade(() => this.greet());
    } else {
      raw.on('data', this.onData);
      this.greet();
    }
  }

  received(): Buffer {
    return Buffer.concat(this.chunks.map((chunk) => chunk.bytes));
  }

  write(data: string | Uint8Array): void {
    if (!this.stream.destroyed && this.stream.writable) this.stream.write(data);
  }

  close(): void {
    this.stream.end();
  }

  destroy(): void {
    // Only the outermost stream: destroying a TLS socket and the socket it wraps in the same tick
    // crashes Node 20 (segfault); destroying the TLS socket closes the wrapped one.
    this.stream.destroy();
  }

  private greet(): void {
    this.respond('GREETING', '');
  }

  private respond(verb: ScriptedVerb, line: string): string | null {
    const reply = this.server.replyFor(verb, line, this);
    if (reply !== null) this.later(() => this.write(withCrlf(reply)), verb);
    return reply;
  }

  /** Runs `action` now, or after `replyDelayMs` (in order) for anything but the greeting and STARTTLS. */
  private later(action: () => void, verb: ScriptedVerb): void {
    const delay = this.server.options.replyDelayMs ?? 0;
    if (delay <= 0 || verb === 'GREETING' || verb === 'STARTTLS') action();
    else setTimeout(action, delay);
  }

  private handleChunk(chunk: Buffer): void {
    const pauseMs = this.server.options.bodyReadPauseMs ?? 0;
    if (pauseMs > 0 && this.dataMode) {
      this.stream.pause();
      setTimeout(() => this.stream.resume(), pauseMs);
    }
    const index = this.chunks.length;
    this.chunks.push({ secure: this.state.secure, bytes: Buffer.from(chunk) });
    let rest: Buffer = chunk;
    while (rest.length > 0 && !this.isClosed) {
      if (this.dataMode) {
        rest = this.consumeData(rest);
        continue;
      }
      if (this.bdat) {
        rest = this.consumeChunk(rest);
        continue;
      }
      const lines = Buffer.concat([this.lineBuffer, rest]);
      const newline = lines.indexOf(0x0a);
      if (newline === -1) {
        this.lineBuffer = lines;
        return;
      }
      this.lineBuffer = Buffer.alloc(0);
      rest = lines.subarray(newline + 1);
      const line = lines.subarray(0, newline).toString('utf8').replace(/\r$/, '');
      if (this.handleLine(line, index) === 'upgraded') {
        this.discardedAfterStartTls = Buffer.from(rest);
        return;
      }
    }
  }

  private handleLine(line: string, chunk: number): 'upgraded' | undefined {
    const verb = verbOf(line, this.state);
    this.commands.push({ line, verb, chunk, secure: this.state.secure });
    if (verb === 'BDAT') {
      this.bdat = { line, remaining: bdatOf(line)?.size ?? 0, parts: [] };
      if (this.bdat.remaining === 0) this.consumeChunk(Buffer.alloc(0));
      return undefined;
    }
    const reply = this.respond(verb, line);
    applyReply(verb, line, reply, this.state);
    if (verb === 'DATA' && reply?.startsWith('354')) this.dataMode = true;
    if (verb === 'QUIT' && reply?.startsWith('221')) this.later(() => this.close(), verb);
    if (verb === 'MAIL' && reply?.startsWith('421')) this.later(() => this.close(), verb);
    if (verb === 'STARTTLS' && reply?.startsWith('220')) {
      this.upgrade(() => {});
      return 'upgraded';
    }
    return undefined;
  }

  private consumeData(chunk: Buffer): Buffer {
    const searchFrom = this.pendingData.length;
    this.pendingData = Buffer.concat([this.pendingData, chunk]);
    const end = findTerminator(this.pendingData, searchFrom);
    if (end === -1) return Buffer.alloc(0);
    const raw = this.pendingData.subarray(0, end);
    const rest = this.pendingData.subarray(end);
    this.pendingData = Buffer.alloc(0);
    this.dataMode = false;
    const { from = '', mailParams, to } = this.state;
    const content = unstuff(raw);
    this.server.dataOctets = content.length;
    const reply = this.respond('DOT', '.');
    this.server.transactions.push({
      connection: this.id,
      from,
      mailParams: [...mailParams],
      to: [...to],
      raw: Buffer.from(raw),
      content,
      reply,
    });
    applyReply('DOT', '.', reply, this.state);
    return Buffer.from(rest);
  }

  /** Reads a BDAT chunk's octets (no stuffing, no terminator), then answers it; LAST ends the message. */
  private consumeChunk(chunk: Buffer): Buffer {
    const bdat = this.bdat!;
    const take = Math.min(bdat.remaining, chunk.length);
    bdat.parts.push(Buffer.from(chunk.subarray(0, take)));
    bdat.remaining -= take;
    if (bdat.remaining > 0) return Buffer.alloc(0);
    this.bdat = undefined;
    this.bdatParts.push(...bdat.parts);
    const data = Buffer.concat(this.bdatParts);
    this.server.dataOctets = data.length;
    const reply = this.respond('BDAT', bdat.line);
    const last = bdatOf(bdat.line)?.last === true;
    if (last) {
      const { from = '', mailParams, to } = this.state;
      this.server.transactions.push({
        connection: this.id,
        via: 'BDAT',
        from,
        mailParams: [...mailParams],
        to: [...to],
        raw: data,
        content: data,
        reply,
      });
    }
    if (last || !reply?.startsWith('2')) this.bdatParts = [];
    applyReply('BDAT', bdat.line, reply, this.state);
    return Buffer.from(chunk.subarray(take));
  }

  private upgrade(onSecure: () => void): void {
    const { tls: pem } = this.server.options;
    this.raw.removeListener('data', this.onData);
    if (!pem) throw new Error('scripted server: TLS requested without a certificate');
    const secure = new tls.TLSSocket(this.raw, {
      isServer: true,
      secureContext: tls.createSecureContext({ cert: pem.cert, key: pem.key }),
    });
    secure.on('error', (error) => {
      this.tlsError = error;
      secure.destroy();
    });
    secure.once('secure', () => {
      this.state.secure = true;
      onSecure();
    });
    secure.on('data', this.onData);
    this.stream = secure;
  }
}
