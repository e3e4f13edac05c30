/**
 * Joins one Session (the pure protocol machine) to one socket: bytes in → session.receive, effects
 * out → socket writes, the STARTTLS upgrade in place (RFC 3207 §4) and the body stream — DATA (RFC
 * 5321 §4.5.2) or BDAT chunks (RFC 3030) — with back-pressure, size and 8BITMIME checks. One Connection = one socket's life.
 */
import { createHmac } from 'node:crypto';
import type * as net from 'node:net';
import type * as tls from 'node:tls';
import type { SmtpError } from '../errors/smtp-error.js';
import { Session, shareWriteBuffers } from '../session/session.js';
import { resolveTimeouts } from '../session/timeouts.js';
import type { SendRequest, SendResult, SessionEffect, SessionOptions } from '../session/types.js';
import { BodyWriter, PROGRESS_INTERVAL_MS, writeInline } from './body-writer.js';
import { abortError, dial, upgrade } from './connect.js';
import { FlightWriter } from './flight-writer.js';

export interface ConnectionParams {
  readonly host: string;
  readonly port: number;
  /** A pre-resolved address to dial instead of `host`. */
  readonly address?: string;
  /** Built by buildTlsOptions() for `host`; used for implicit TLS and STARTTLS alike. */
  readonly tlsOptions: tls.ConnectionOptions;
  /** Timeout for TCP + implicit TLS, and for the STARTTLS handshake. */
  readonly connectTimeout: number;
  /** Session options; `clientName` may be a function of the local address (known once connected). */
  readonly session: Omit<SessionOptions, 'clientName'> & {
    readonly clientName: string | ((socket: net.Socket) => string);
  };
  /** How long a closing socket may linger after our FIN before it is destroyed. */
  readonly closeGraceMs?: number;
  readonly onEvent?: (event: ConnectionEvent) => void;
  /**
   * A connection whose setup failed, so open() rejects instead of handing it out: its socket may
   * still be closing (after a refusal, QUIT was written and the server closes first, within the
   * close grace). Its owner waits for `closed` (or destroys it) like any connection it let go of.
   */
  readonly onSetupFailed?: (connection: Connection) => void;
}

export type ConnectionEvent =
  | { readonly type: 'connected'; readonly localAddress: string | undefined; readonly secure: boolean }
  | { readonly type: 'tls'; readonly protocol: string | null; readonly authorized: boolean }
  | { readonly type: 'closed'; readonly error?: unknown };

const DEFAULT_CLOSE_GRACE_MS = 2000;

/** RFC 2104 HMAC-MD5 for CRAM-MD5 (RFC 2195), the one the session is given (sasl.ts keeps node: out). */
export const hmacMd5 = (key: Uint8Array, data: Uint8Array): Uint8Array =>
  createHmac('md5', key).update(data).digest();

export class Connection {
  /** Resolves once the socket is closed and every listener is gone. */
  readonly closed: Promise<void>;
  readonly session: Session;
  #socket: net.Socket;
  #params: ConnectionParams;
  #socketError: unknown;
  #body: BodyWriter | undefined;
  #closeTimer: ReturnType<typeof setTimeout> | undefined;
  #upgrading: AbortController | undefined;
  /**
   * What the session writes in one tick, leaving as one socket write at its end; a write that throws
   * there has lost the socket, and destroying it reports the close.
   */
  readonly #flight = new FlightWriter(() => this.#socket.destroy());
  #isClosed = false;
  #resolveClosed!: () => void;
  /** The session's data-block timeout (RFC 5321 §4.5.3.2.5), which body progress must restart in time. */
  readonly #dataBlockMs: number;

  private constructor(socket: net.Socket, params: ConnectionParams) {
    this.#socket = socket;
    this.#params = params;
    this.#dataBlockMs = resolveTimeouts(params.session.timeouts).dataBlock;
    this.closed = new Promise((resolve) => {
      this.#resolveClosed = resolve;
    });
    const { clientName, ...rest } = params.session;
    const name = typeof clientName === 'function' ? clientName(socket) : clientName;
    this.session = new Session({ hmacMd5, ...rest, clientName: name }, (effect) => this.#onEffect(effect));
    // Its writes go straight to the socket, untouched: they may share the encoding slab.
    shareWriteBuffers(this.session);
    this.session.whenReady.catch(() => {}); // observed through send()/open(); never unhandled
    this.#attach(socket);
  }

  /** Dials, greets, negotiates (EHLO, STARTTLS, AUTH): resolves once the session can take a send. */
  static async open(params: ConnectionParams, signal?: AbortSignal): Promise<Connection> {
    const implicitTls = params.session.security === 'implicit';
    const socket = await dial({
      host: params.host,
      port: params.port,
      ...(params.address === undefined ? {} : { address: params.address }),
      implicitTls,
      tlsOptions: params.tlsOptions,
      timeout: params.connectTimeout,
      ...(signal === undefined ? {} : { signal }),
    });
    let connection: Connection;
    try {
      connection = new Connection(socket, params);
    } catch (error) {
      socket.destroy();
      throw error;
    }
    connection.#emit({ type: 'connected', localAddress: socket.localAddress, secure: implicitTls });
    connection.session.connected();
    try {
      await connection.#untilReady(signal);
    } catch (error) {
      params.onSetupFailed?.(connection);
      throw error;
    }
    return connection;
  }

  /** True until the socket closes or the session ends. */
  get open(): boolean {
    return !this.#isClosed && !this.session.ended;
  }

  /** True while the session can take another send on this socket (idle, or one pipelined in flight). */
  get acceptsSend(): boolean {
    return !this.#isClosed && this.session.acceptsSend;
  }

  /** True while the session pipelines its transactions on this socket (RFC 2920 PIPELINING offered). */
  get pipelines(): boolean {
    return !this.#isClosed && this.session.pipelines;
  }

  /** True when nothing is in flight on this socket. */
  get idle(): boolean {
    return !this.#isClosed && this.session.idle;
  }

  send(request: SendRequest, signal?: AbortSignal): Promise<SendResult> {
    return this.session.send(request, signal);
  }

  /** QUIT, wait for 221 (bounded by the command timeout), close. Never rejects. */
  async quit(): Promise<void> {
    if (this.#isClosed || this.session.ended) {
      this.#close();
    } else {
      await this.session.quit().catch(() => {});
      this.#close();
    }
    await this.closed;
  }

  /**
   * Drops the socket at once. A transaction or setup in progress ends first as the caller's doing —
   * SMTP_CLIENT_CLOSED with its exact outcome ('unknown' once the dot is out), not a lost connection:
   * the session abandons it, writing nothing, before the close.
   */
  destroy(): void {
    // A socket that already closed (this runs from inside #onClose: the session's replies of the
    // last read, taken on the close, made room for the owner's next send): the session is hearing
    // that close, which names what was in progress truly. Dropping it now would call it ours.
    if (!this.#isClosed) this.session.drop();
    this.#socket.destroy();
  }

  async #untilReady(signal: AbortSignal | undefined): Promise<void> {
    if (!signal) return this.session.whenReady;
    // The phase the abort came in (greeting, tls, auth, ...): what the caller's error names.
    let abortedIn = this.session.phase;
    const onAbort = (): void => {
      abortedIn = this.session.phase;
      this.session.closed(abortError(signal, abortedIn));
    };
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      await this.session.whenReady;
    } catch (error) {
      if (signal.aborted) throw abortError(signal, abortedIn);
      throw error;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  #emit(event: ConnectionEvent): void {
    try {
      this.#params.onEvent?.(event);
    } catch {
      // A logger's failure must not break the connection.
    }
  }

  readonly #onData = (chunk: Buffer): void => {
    this.session.receive(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  };

  readonly #onError = (error: unknown): void => {
    // Why the connection ended is what ended the session first: a reset after a refusal (the
    // server dropping us while we waited for its close after QUIT) does not replace the refusal.
    if (!this.session.ended) this.#socketError ??= error;
    // A TLS socket reports a bad record after its handshake with 'error' and no 'close' (TCP stays
    // open): without this the session would wait out its phase timer. A TCP error closes anyway.
    this.#socket.destroy();
  };

  readonly #onClose = (): void => {
    this.#detach(this.#socket);
    this.#isClosed = true;
    if (this.#closeTimer) clearTimeout(this.#closeTimer);
    this.#body?.stop();
    this.session.closed(this.#socketError);
    // Why it closed: the socket's error, else why the session ended (a 421, SES's idle 451, …).
    const error = this.#socketError ?? this.session.error;
    this.#emit(error === undefined ? { type: 'closed' } : { type: 'closed', error });
    this.#resolveClosed();
  };

  #attach(socket: net.Socket): void {
    socket.on('data', this.#onData);
    socket.on('error', this.#onError);
    socket.once('close', this.#onClose);
  }

  #detach(socket: net.Socket): void {
    socket.removeListener('data', this.#onData);
    socket.removeListener('error', this.#onError);
    socket.removeListener('close', this.#onClose);
  }

  #onEffect(effect: SessionEffect): void {
    switch (effect.type) {
      case 'write':
        this.#write(effect.bytes);
        return;
      case 'upgradeTls':
        this.#upgradeTls();
        return;
      case 'writeBody':
        this.#writeBody(effect);
        return;
      case 'close': {
        this.#close();
        // A clean end (221), or QUIT written after a refusal (`afterQuit`: the server answers and
        // closes), lets the server close first, within the grace period; after a timeout or a
        // protocol error the server may never close, so do not wait that out.
        const serverCloses = effect.afterQuit === true;
        queueMicrotask(() => {
          if (
            this.session.state === 'failed' &&
            !serverCloses &&
            !this.#upgrading &&
            !this.#socket.destroyed
          ) {
            this.#socket.destroy();
          }
        });
        return;
      }
    }
  }

  #upgradeTls(): void {
    // Nothing written before the upgrade may follow the handshake's first bytes.
    this.#flight.flush();
    const plain = this.#socket;
    // Stop reading plaintext now (threats.md §1): from here on every byte goes to the TLS engine.
    // The 'close'/'error' listeners move too, so only the upgrade result reports this socket's fate.
    this.#detach(plain);
    plain.on('error', () => {});
    const upgrading = new AbortController();
    this.#upgrading = upgrading;
    const { host, tlsOptions, connectTimeout } = this.#params;
    upgrade(plain, host, tlsOptions, connectTimeout, upgrading.signal).then(
      (secure) => {
        this.#upgrading = undefined;
        this.#socket = secure;
        this.#attach(secure);
        this.#emit({ type: 'tls', protocol: secure.getProtocol(), authorized: secure.authorized });
        this.session.tlsEstablished();
      },
      (error: unknown) => {
        this.#upgrading = undefined;
        this.session.tlsFailed(error);
        // upgrade() destroyed the TLS socket (and with it the plain one): report the close once.
        this.#onClose();
      },
    );
  }

  /**
   * Everything written in one tick leaves as one flight (flight-writer.ts: one socket write, no small
   * segment waiting on Nagle or on a delayed ACK): e.g. the dot and the next envelope (RFC 2920 §3.1),
   * or MAIL, RCPT, `BDAT n LAST` and the chunk's bytes.
   */
  readonly #write = (bytes: Uint8Array): boolean => {
    const socket = this.#socket;
    if (socket.destroyed) return false;
    this.#flight.add(socket, bytes);
    return true;
  };

  /**
   * A body block, written now with its back-pressure answer; a flight gathered in this tick (a BDAT
   * command) goes with it, in front.
   */
  #writeNow(bytes: Uint8Array): boolean {
    const socket = this.#socket;
    if (socket.destroyed) return false;
    if (!this.#flight.pending) return socket.write(bytes);
    this.#flight.add(socket, bytes);
    return this.#flight.flush();
  }

  #writeBody(effect: Extract<SessionEffect, { type: 'writeBody' }>): void {
    if (effect.inline) {
      const error = writeInline(effect.body, effect, this.#write);
      if (error) {
        // Nothing of the body went out: nothing after it may either (the next envelope would be body text).
        this.session.bodyFailed(error);
        this.#socket.destroy();
      }
      return;
    }
    const writer = new BodyWriter(this.#socket, {
      maxSize: effect.maxSize,
      allow8bit: effect.allow8bit,
      transfer: effect.transfer,
      ...(effect.announcedOctets === undefined ? {} : { announcedOctets: effect.announcedOctets }),
      // Blocks go out as they come (a corked block would wait a tick, and its drain with it); the last
      // one joins the flight of whatever follows it (the next envelope behind the dot).
      write: (bytes, last) => (last ? this.#write(bytes) : this.#writeNow(bytes)),
      chunk: (size, last) => this.session.bodyChunk(size, last),
      progress: () => this.session.bodyProgress(),
      // A quarter of the data-block timeout at most: a body written block by block inside that
      // timeout must restart it (a 300 ms override, with the 250 ms default pace, timed out).
      progressEveryMs: Math.min(PROGRESS_INTERVAL_MS, this.#dataBlockMs / 4),
      finished: () => this.session.bodyFinished(),
      failed: (error: SmtpError) => this.session.bodyFailed(error),
    });
    this.#body = writer;
    writer.run(effect.body).finally(() => {
      if (this.#body === writer) this.#body = undefined;
    });
  }

  #close(): void {
    // What was written before the close (a QUIT) goes before the FIN.
    this.#flight.flush();
    this.#body?.stop();
    if (this.#isClosed) return;
    if (this.#upgrading) {
      // Mid-handshake the TLS socket is not ours yet: abort it; the failed upgrade reports the close.
      this.#upgrading.abort();
      return;
    }
    const socket = this.#socket;
    if (socket.destroyed) return;
    socket.end();
    this.#closeTimer ??= setTimeout(
      () => socket.destroy(),
      this.#params.closeGraceMs ?? DEFAULT_CLOSE_GRACE_MS,
    );
  }
}
