/**
 * The whole-session fuzz's model server (session.fuzz.test.ts): a loopback SMTP server that answers
 * from a script of faults (random replies split at random, closes, silences, floods, garbage) and
 * otherwise like a plain server offering the scenario's extensions: PIPELINING (RFC 2920), CHUNKING
 * and BINARYMIME (RFC 3030), STARTTLS (RFC 3207) with a real TLS handshake over the same socket.
 * It records what a correct client can be held to: every final dot (or LAST chunk) and its reply,
 * and every rule the client broke on the wire (`violations`, from client-rules.ts and the STARTTLS
 * checks here).
 */
import * as net from 'node:net';
import { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import { ClientRules, TlsRecords, verbOf } from './client-rules.js';
import type { Action, Offer, Scenario, TlsBehaviour } from './session-scenario.js';

export interface Observed {
  /** Final dots (and LAST chunks) received and the replies sent to them (null: none). */
  readonly dots: (string | null)[];
  /**
   * LAST chunks received whole while the server no longer answered (silent, or closed earlier in
   * the same read): the client wrote them, so an 'unknown' for them is honest.
   */
  unansweredLast: number;
  /**
   * 2xx replies to a final dot or LAST chunk of a transaction whose MAIL (or every RCPT) that server
   * refused: a LAST chunk rides behind the pipelined envelope, so it reaches a server that refused
   * it. No delivery (a real server answers 503); the client may not even read that reply (it stops
   * at a malformed one before it), and it reports the refusal or 'unknown' when it does.
   */
  contradicted: number;
  bytesAfterClose: number;
  clientClosed: boolean;
  /** What the client did that it must not (each with its connection number and TLS state). */
  readonly violations: string[];
  /** TLS sessions established (the fuzz reaches the post-TLS EHLO). */
  upgrades: number;
  readonly sockets: Set<net.Socket>;
}

export function newObserved(): Observed {
  return {
    dots: [],
    unansweredLast: 0,
    contradicted: 0,
    bytesAfterClose: 0,
    clientClosed: false,
    violations: [],
    upgrades: 0,
    sockets: new Set(),
  };
}

export interface ServerTls {
  /** The certificate the client trusts (the test CA's server certificate). */
  readonly trusted: tls.SecureContext;
  /** One it does not (a handshake that must fail verification). */
  readonly untrusted: tls.SecureContext;
}

function ehloReply(offer: Offer, startTls: boolean): string {
  const lines = ['fuzz.test'];
  if (offer.pipelining) lines.push('PIPELINING');
  if (offer.chunking) lines.push('CHUNKING');
  if (offer.binaryMime) lines.push('BINARYMIME');
  if (offer.eightBitMime) lines.push('8BITMIME');
  if (offer.size) lines.push('SIZE 100000');
  if (startTls) lines.push('STARTTLS');
  if (offer.auth) lines.push('AUTH PLAIN LOGIN');
  return lines.map((line, i) => `250${i < lines.length - 1 ? '-' : ' '}${line}\r\n`).join('');
}

function startTlsReply(behaviour: TlsBehaviour): string {
  switch (behaviour) {
    case 'refuse-454':
      return '454 4.7.0 TLS not available due to temporary reason\r\n';
    case 'refuse-502':
    case 'not-offered':
      return '502 5.5.1 not implemented\r\n';
    case 'inject-lines':
      // threats.md §1 (CVE-2011-0411): a "post-TLS" EHLO reply smuggled behind the 220.
      return '220 2.0.0 ready\r\n250-evil.test\r\n250 AUTH PLAIN\r\n';
    case 'inject-fragment':
      return '220 2.0.0 ready\r\n25';
    default:
      return '220 2.0.0 ready\r\n';
  }
}

interface Context {
  readonly scenario: Scenario;
  readonly observed: Observed;
  readonly tls: ServerTls;
  readonly take: () => Action;
  /** Binary bodies, latin1: a BODY=BINARYMIME chunk must be one of them, octet for octet. */
  readonly binaryBodies: ReadonlySet<string>;
}

/** One connection of the fuzz server: plaintext, then (after a 220 to STARTTLS) TLS. */
class FuzzConnection {
  readonly #ctx: Context;
  readonly #raw: net.Socket;
  readonly #number: number;
  readonly #behaviour: TlsBehaviour;
  /** Where replies go: the raw socket, then the TLS socket. */
  #out: net.Socket | tls.TLSSocket;
  /** plain → after220 (a 220 to STARTTLS was sent; only a ClientHello may follow) → tls → secure. */
  #phase: 'plain' | 'after220' | 'tls' | 'secure' = 'plain';
  /** Feeds raw octets to the TLS engine once the handshake is under way. */
  #wire: Duplex | undefined;
  #buffer = '';
  #inData = false;
  #silent = false;
  /** A BDAT command whose octets have not all arrived. */
  #chunk: { readonly line: string; readonly size: number; readonly last: boolean } | undefined;
  /** This server's own verdicts on the transaction so far (from the replies it sent). */
  #mailAccepted = false;
  #rcptAccepted = false;
  /** What the client was offered and told, and the rules it must keep (client-rules.ts). */
  readonly #rules: ClientRules;
  /** After the 220 to STARTTLS: the client's first bytes came. */
  #helloSeen = false;
  /** The 220 to STARTTLS went out with bytes behind it (an `inject-*` behaviour's reply). */
  #injected = false;
  #plaintextAfter220 = false;
  readonly #records = new TlsRecords();

  constructor(ctx: Context, raw: net.Socket, number: number) {
    this.#ctx = ctx;
    this.#raw = raw;
    this.#out = raw;
    this.#number = number;
    const behaviours = ctx.scenario.tls;
    this.#behaviour = behaviours[number % behaviours.length] ?? 'upgrade';
    this.#rules = new ClientRules({
      security: ctx.scenario.security,
      withAuth: ctx.scenario.withAuth,
      binaryBodies: ctx.binaryBodies,
      violation: (what) => this.#violation(what),
    });
    raw.on('data', (bytes: Buffer) => this.#onRaw(bytes));
    this.#act(undefined, false);
  }

  #violation(what: string): void {
    this.#ctx.observed.violations.push(`connection ${this.#number} (${this.#phase}): ${what}`);
  }

  #onRaw(bytes: Buffer): void {
    if (this.#phase === 'plain') {
      this.#onData(bytes);
      return;
    }
    if (this.#phase === 'after220') {
      this.#countAfterClose(bytes);
      // threats.md §1: nothing but the handshake may follow STARTTLS's 220 (RFC 3207 §4.2).
      if (this.#injected && !this.#plaintextAfter220) {
        // The injected bytes came in the same write as the 220: the client reads them with it.
        this.#plaintextAfter220 = true;
        this.#violation('bytes written after a 220 with bytes behind it (threats.md §1: fail closed)');
      }
      if (!this.#plaintextAfter220 && !this.#records.only(bytes)) {
        this.#plaintextAfter220 = true;
        this.#violation('plaintext written after the 220 to STARTTLS');
      }
      if (this.#helloSeen) return;
      this.#helloSeen = true;
      if (!this.#afterClientHello()) return;
    }
    this.#wire?.push(bytes);
  }

  /**
   * SMTP octets (plaintext, or decrypted) that came after close() resolved. TLS records are not
   * counted: a connection that failed while open still sends its close_notify alert, which may
   * arrive after close() resolved.
   */
  #countAfterClose(bytes: Buffer): void {
    const { observed } = this.#ctx;
    if (!observed.clientClosed) return;
    observed.bytesAfterClose += bytes.length;
    observed.violations.push(
      `connection ${this.#number} (${this.#phase}): ${JSON.stringify(bytes.toString('latin1').slice(0, 60))} after close()`,
    );
  }

  #onData(bytes: Buffer): void {
    this.#countAfterClose(bytes);
    this.#buffer += bytes.toString('latin1');
    this.#rules.read();
    if (!this.#ctx.scenario.batchReplies) {
      this.#answer();
      return;
    }
    const out = this.#out;
    out.cork();
    try {
      this.#answer();
    } finally {
      out.uncork();
    }
  }

  #write(text: string | Uint8Array): void {
    if (!this.#out.destroyed) this.#out.write(text);
  }

  #destroy(): void {
    this.#out.destroy();
    this.#raw.destroy();
  }

  get #gone(): boolean {
    return this.#silent || this.#raw.destroyed || this.#out.destroyed;
  }

  #answer(): void {
    for (;;) {
      if (this.#phase !== 'plain' && this.#phase !== 'secure') return;
      if (this.#chunk !== undefined) {
        if (this.#buffer.length < this.#chunk.size) return;
        const content = this.#buffer.slice(0, this.#chunk.size);
        this.#buffer = this.#buffer.slice(this.#chunk.size);
        const { line, last } = this.#chunk;
        this.#chunk = undefined;
        if (last) this.#rules.body(content, 'BDAT');
        if (last && this.#gone) this.#ctx.observed.unansweredLast++;
        this.#act(line, last);
        continue;
      }
      if (this.#inData) {
        const end = this.#buffer.startsWith('.\r\n') ? 0 : this.#buffer.indexOf('\r\n.\r\n');
        if (end === -1) return;
        this.#rules.body(this.#buffer.slice(0, end), 'DATA');
        this.#buffer = this.#buffer.slice(end === 0 ? 3 : end + 5);
        this.#inData = false;
        this.#act('.', true);
        continue;
      }
      const eol = this.#buffer.indexOf('\r\n');
      if (eol === -1) return;
      const line = this.#buffer.slice(0, eol);
      this.#buffer = this.#buffer.slice(eol + 2);
      this.#rules.command(line);
      const bdat = /^BDAT (\d+)( LAST)?$/i.exec(line);
      if (bdat) {
        // RFC 3030 §2: exactly that many octets follow; the chunk is answered once they are in.
        this.#chunk = { line, size: Number(bdat[1]), last: bdat[2] !== undefined };
        continue;
      }
      this.#act(line, false);
    }
  }

  #defaultReply(line: string): string {
    const verb = verbOf(line);
    const { scenario } = this.#ctx;
    if (verb === 'EHLO') {
      return this.#phase === 'secure'
        ? ehloReply(scenario.offerAfterTls, scenario.offerAfterTls.startTls)
        : ehloReply(scenario.offer, this.#behaviour !== 'not-offered');
    }
    if (verb === 'BDAT')
      return line.toUpperCase().endsWith(' LAST') ? '250 2.0.0 queued\r\n' : '250 2.0.0 chunk\r\n';
    if (verb === 'MAIL' && this.#rules.mailBinary && scenario.refuseBinary)
      return '555 5.5.4 BODY=BINARYMIME not accepted\r\n';
    if (verb === 'DATA' && this.#rules.mailBinary) return '503 5.5.1 BODY=BINARYMIME needs BDAT\r\n';
    if (verb === 'HELO' || verb === 'MAIL' || verb === 'RCPT' || verb === 'RSET' || verb === 'NOOP')
      return '250 OK\r\n';
    if (verb === 'DATA') return '354 go ahead\r\n';
    if (verb === 'QUIT') return '221 bye\r\n';
    if (verb === 'AUTH') return '235 2.7.0 ok\r\n';
    if (verb === 'STARTTLS') return startTlsReply(this.#phase === 'secure' ? 'refuse-502' : this.#behaviour);
    return line === '.' ? '250 2.0.0 queued\r\n' : '334 \r\n';
  }

  #act(line: string | undefined, isDot: boolean): void {
    if (this.#gone) return;
    const action = this.#ctx.take();
    let sent: string | null = null;
    switch (action.kind) {
      case 'default':
        sent = line === undefined ? '220 fuzz.test ESMTP\r\n' : this.#defaultReply(line);
        this.#write(sent);
        if (sent.startsWith('221')) this.#out.end();
        break;
      case 'reply': {
        sent = action.text;
        const size = Math.ceil(sent.length / action.pieces);
        for (let at = 0; at < sent.length; at += size) this.#write(sent.slice(at, at + size));
        break;
      }
      case 'silent':
        this.#silent = true;
        break;
      case 'close':
        this.#destroy();
        break;
      case 'flood':
        this.#write(`250-${'x'.repeat(1000)}\r\n`.repeat(200));
        break;
      case 'garbage':
        this.#write(action.bytes);
        break;
    }
    this.#record(line, isDot, sent);
  }

  #record(line: string | undefined, isDot: boolean, sent: string | null): void {
    const { observed } = this.#ctx;
    const verb = line === undefined ? undefined : verbOf(line);
    const positive = sent !== null && /^2/.test(sent);
    this.#rules.replied(verb, sent);
    if (verb === 'MAIL') {
      this.#mailAccepted = positive;
      this.#rcptAccepted = false;
    }
    if (verb === 'RCPT') this.#rcptAccepted ||= positive;
    if (isDot) {
      observed.dots.push(sent);
      if (positive && !(this.#mailAccepted && this.#rcptAccepted)) observed.contradicted++;
      this.#mailAccepted = false;
      this.#rcptAccepted = false;
      this.#rules.transactionEnded();
    }
    // Message data follows only a 354 to DATA (a 354 to anything else is noise the client refuses).
    if (sent?.startsWith('354') && /^DATA$/i.test(line ?? '')) this.#inData = true;
    if (sent?.startsWith('421')) {
      // RFC 5321 §3.8: 421 closes the channel; nothing behind it is processed (a BDAT LAST chunk
      // riding behind a MAIL answered 421 is never taken, so the client's 'not-sent' is honest).
      this.#silent = true;
      this.#out.end();
    }
    if (verb === 'STARTTLS' && this.#phase === 'plain' && sent?.startsWith('220')) {
      this.#injected = /^220 [^\r]*\r\n./s.test(sent);
      this.#startTls();
    }
  }

  /** After a 220 to STARTTLS: whatever followed it in the client's write broke RFC 3207 §4.2. */
  #startTls(): void {
    if (this.#buffer !== '') this.#violation('bytes written behind STARTTLS');
    this.#buffer = '';
    this.#phase = 'after220';
  }

  /**
   * The client's first bytes after the 220 (its ClientHello, or what it should not have sent):
   * true when they go to a TLS engine.
   */
  #afterClientHello(): boolean {
    switch (this.#behaviour) {
      case 'inject-lines':
      case 'inject-fragment':
      case 'handshake-silent':
        return false; // stays in 'after220': every later octet is checked too
      case 'handshake-close':
        this.#destroy();
        return false;
      case 'handshake-plaintext':
        // A plaintext "post-TLS" reply where the ServerHello should be.
        this.#write('250-fuzz.test\r\n250 AUTH PLAIN\r\n');
        return false;
      default:
        // The refusing behaviours get here only when a scripted fault said 220: they upgrade.
        this.#upgrade(
          this.#behaviour === 'handshake-untrusted' ? this.#ctx.tls.untrusted : this.#ctx.tls.trusted,
        );
        return true;
    }
  }

  #upgrade(context: tls.SecureContext): void {
    const raw = this.#raw;
    // The TLS engine reads and writes through a stream of our own, so that every raw octet is seen here.
    const wire = new Duplex({
      read() {},
      write(bytes: Buffer, _encoding, callback) {
        if (!raw.destroyed) raw.write(bytes);
        callback();
      },
      final(callback) {
        raw.end();
        callback();
      },
    });
    this.#wire = wire;
    this.#phase = 'tls';
    const secure = new tls.TLSSocket(wire, { isServer: true, secureContext: context });
    this.#out = secure;
    secure.on('error', () => this.#raw.destroy());
    secure.once('secure', () => {
      this.#ctx.observed.upgrades++;
      // RFC 3207 §4.2: the server discards all knowledge obtained from the client before TLS.
      this.#phase = 'secure';
      this.#rules.tlsUp();
      this.#mailAccepted = false;
      this.#rcptAccepted = false;
      this.#inData = false;
      this.#chunk = undefined;
    });
    secure.on('data', (bytes: Buffer) => this.#onData(bytes));
    raw.on('close', () => {
      wire.push(null);
      secure.destroy();
    });
  }
}

export function startServer(
  scenario: Scenario,
  observed: Observed,
  serverTls: ServerTls,
): Promise<net.Server> {
  let next = 0;
  let connections = 0;
  const binaryBodies = new Set(
    scenario.messages
      .filter((m) => m.binary && typeof m.message !== 'string')
      .map((m) => Buffer.from(m.message).toString('latin1')),
  );
  const ctx: Context = {
    scenario,
    observed,
    tls: serverTls,
    take: () => scenario.actions[next++] ?? { kind: 'default' },
    binaryBodies,
  };
  const server = net.createServer((socket) => {
    observed.sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => observed.sockets.delete(socket));
    new FuzzConnection(ctx, socket, connections++);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}
