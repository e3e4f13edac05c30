/**
 * A tiny raw SMTP client for simulator tests: writes lines, reads whole replies (RFC 5321 §4.2),
 * upgrades with STARTTLS. Deliberately independent of the project's own client.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';

export interface ProbeReply {
  readonly code: number;
  readonly lines: readonly string[];
  /** The whole reply as on the wire, lines joined with '\n' (codes included). */
  readonly raw: string;
}

export class SmtpProbe {
  #socket: Socket | TLSSocket;
  #buffer = '';
  #lines: string[] = [];
  #replies: ProbeReply[] = [];
  #waiters: ((reply: ProbeReply | undefined) => void)[] = [];
  #ended = false;
  readonly closed: Promise<void>;
  #onClosed!: () => void;

  private constructor(socket: Socket | TLSSocket) {
    this.#socket = socket;
    this.closed = new Promise((resolve) => {
      this.#onClosed = resolve;
    });
    this.#attach(socket);
  }

  static async open(port: number, options: { tls?: { ca: string } } = {}): Promise<SmtpProbe> {
    const socket = await new Promise<Socket | TLSSocket>((resolve, reject) => {
      const s =
        options.tls === undefined
          ? netConnect({ host: '127.0.0.1', port }, () => resolve(s))
          : tlsConnect({ host: '127.0.0.1', port, ca: options.tls.ca, servername: 'localhost' }, () =>
              resolve(s),
            );
      s.once('error', reject);
    });
    return new SmtpProbe(socket);
  }

  get isClosed(): boolean {
    return this.#ended;
  }

  #attach(socket: Socket | TLSSocket): void {
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => this.#receive(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (socket !== this.#socket) return;
      this.#ended = true;
      for (const waiter of this.#waiters.splice(0)) waiter(undefined);
      this.#onClosed();
    });
  }

  #receive(chunk: string): void {
    this.#buffer += chunk;
    let end = this.#buffer.indexOf('\r\n');
    while (end !== -1) {
      const line = this.#buffer.slice(0, end);
      this.#buffer = this.#buffer.slice(end + 2);
      this.#lines.push(line);
      if (line.charAt(3) !== '-') {
        const lines = this.#lines.splice(0);
        const reply = {
          code: Number(line.slice(0, 3)),
          lines: lines.map((l) => l.slice(4)),
          raw: lines.join('\n'),
        };
        const waiter = this.#waiters.shift();
        if (waiter === undefined) this.#replies.push(reply);
        else waiter(reply);
      }
      end = this.#buffer.indexOf('\r\n');
    }
  }

  /** The next reply; rejects if the connection closes first. */
  read(): Promise<ProbeReply> {
    const queued = this.#replies.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.#ended) return Promise.reject(new Error('connection closed'));
    return new Promise((resolve, reject) => {
      this.#waiters.push((reply) =>
        reply === undefined ? reject(new Error('connection closed')) : resolve(reply),
      );
    });
  }

  write(text: string | Uint8Array): void {
    this.#socket.write(text);
  }

  command(line: string): Promise<ProbeReply> {
    this.write(`${line}\r\n`);
    return this.read();
  }

  /** STARTTLS and the handshake (the caller checks the 220 first via the returned reply). */
  async startTls(ca: string): Promise<ProbeReply> {
    const reply = await this.command('STARTTLS');
    if (reply.code !== 220) return reply;
    const plain = this.#socket;
    plain.removeAllListeners('data');
    plain.removeAllListeners('close');
    this.#socket = await new Promise<TLSSocket>((resolve, reject) => {
      const s = tlsConnect({ socket: plain, ca, servername: 'localhost' }, () => resolve(s));
      s.once('error', reject);
    });
    this.#attach(this.#socket);
    return reply;
  }

  close(): void {
    this.#socket.destroy();
  }
}

export function plain(user: string, pass: string): string {
  return Buffer.from(`\0${user}\0${pass}`).toString('base64');
}

export function b64(text: string): string {
  return Buffer.from(text).toString('base64');
}

interface SimulatorLike {
  readonly starttlsPort: number;
  readonly tlsPort: number;
  readonly caPem: string;
  readonly users: readonly { readonly user: string; readonly pass: string }[];
}

/** Greeting, EHLO, STARTTLS, EHLO, AUTH PLAIN with the simulator's first user: ready for MAIL. */
export async function authenticatedProbe(sim: SimulatorLike): Promise<SmtpProbe> {
  const probe = await SmtpProbe.open(sim.starttlsPort);
  expectCode(await probe.read(), 220);
  expectCode(await probe.command('EHLO client.test'), 250);
  expectCode(await probe.startTls(sim.caPem), 220);
  expectCode(await probe.command('EHLO client.test'), 250);
  const user = sim.users[0];
  if (user === undefined) throw new Error('simulator has no users');
  expectCode(await probe.command(`AUTH PLAIN ${plain(user.user, user.pass)}`), 235);
  return probe;
}

/** Implicit TLS, the greeting read and EHLO sent (neither checked): ready for AUTH. */
export async function greetedTlsProbe(sim: SimulatorLike): Promise<SmtpProbe> {
  const probe = await SmtpProbe.open(sim.tlsPort, { tls: { ca: sim.caPem } });
  await probe.read();
  await probe.command('EHLO client.test');
  return probe;
}

/** One transaction; returns the reply to the final dot (or the first refusal before it). */
export async function sendMessage(
  probe: SmtpProbe,
  from: string,
  to: readonly string[],
  body = `From: ${from}\r\nSubject: test\r\n\r\nHello\r\n`,
): Promise<ProbeReply> {
  const mail = await probe.command(`MAIL FROM:<${from}>`);
  if (mail.code !== 250) return mail;
  for (const rcpt of to) expectCode(await probe.command(`RCPT TO:<${rcpt}>`), 250);
  expectCode(await probe.command('DATA'), 354);
  probe.write(body.endsWith('\r\n') ? body : `${body}\r\n`);
  return probe.command('.');
}

function expectCode(reply: ProbeReply, code: number): void {
  if (reply.code !== code) throw new Error(`expected ${code}, got: ${reply.raw}`);
}
