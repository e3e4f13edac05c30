/**
 * createClient: one SMTP connection at a time (RFC 5321), opened lazily, reused while it lasts,
 * replaced when it ends. Sends queue and run one transaction at a time; each settles exactly once.
 * No retries here: deciding to retry (and when) belongs to the delivery layer.
 */
import { speaksSes } from '../errors/classify.js';
import { internalError } from '../errors/internal-error.js';
import { SmtpError } from '../errors/smtp-error.js';
import { checkSesRecipientCount } from '../ses/recipients.js';
import { connectionLost } from '../session/failures.js';
import { tooLarge } from '../session/transaction.js';
import type { SendRequest, SendResult } from '../session/types.js';
import { validateSignal } from '../session/validation.js';
import { anySignal } from './abort-watch.js';
import type { ClientEvent, ClientOptions, ResolvedClientOptions } from './client-options.js';
import { describeClientOptions, resolveClientOptions } from './client-options.js';
import { abortError } from './connect.js';
import { Connection, type ConnectionParams } from './connection.js';
import { connectionParams } from './connection-params.js';
import { whileHeld } from './message-source.js';
import { asSmtpError, clientClosed, type Job, SendQueue } from './send-queue.js';
import { prepareRequest, type SendOptions } from './send-request.js';

export type { SendResult } from '../session/types.js';
export type { ClientCredentials, ClientEvent, ClientLogger, ClientOptions } from './client-options.js';
export type { MessageInput } from './message-source.js';
export type { SendOptions } from './send-request.js';
export type { TlsSettings } from './tls-options.js';

export interface SmtpClient {
  /** Sends one message. Rejects with an SmtpError (code, phase, reply, outcome). */
  send(options: SendOptions): Promise<SendResult>;
  /** Rejects queued sends with CLIENT_CLOSED, lets the one in flight finish, then QUIT and close. */
  close(): Promise<void>;
  /** Ends at once without QUIT: queued sends reject with CLIENT_CLOSED, the one in flight fails. */
  destroy(): void;
  /** True once close() or destroy() was called. */
  readonly closed: boolean;
  /** True while a connection is open (it may be busy). The client reconnects on the next send anyway. */
  readonly connected: boolean;
  /**
   * True while the open connection pipelines (its server offered PIPELINING, RFC 2920, and the
   * `pipelining` option is not off): sends queued now ride behind the one in flight, the next
   * envelope behind its dot. A pool then gives this client more than one send at a time.
   */
  readonly pipelining: boolean;
}

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

class Client implements SmtpClient {
  readonly #options: ResolvedClientOptions;
  readonly #queue = new SendQueue();
  #connection: Connection | undefined;
  /** A connection being opened for the job it was opened for. */
  #opening: Promise<void> | undefined;
  /** Sends handed to a connection and not yet settled (at most two: RFC 2920 §3.1). */
  #active = 0;
  #feeding = false;
  #idleTimer: ReturnType<typeof setTimeout> | undefined;
  #drained: (() => void)[] = [];
  /** Connections no longer used (their QUIT under way, or closing after a failed setup), and when each ends. */
  readonly #quitting = new Map<Connection, Promise<void>>();
  #closing: Promise<void> | undefined;
  /** Aborted by destroy(): cuts a connection attempt short. */
  readonly #lifetime = new AbortController();
  /** False for a pool's client: one connection in its life, the pool opens the next (createPooledClient). */
  readonly #reopens: boolean;
  #opened = false;

  constructor(options: ResolvedClientOptions, reopens = true) {
    this.#options = options;
    this.#reopens = reopens;
  }

  get closed(): boolean {
    return this.#closing !== undefined;
  }

  send(options: SendOptions): Promise<SendResult> {
    // A stream the send holds before reading it must not end the process if it errors meanwhile.
    return whileHeld((options as { message?: unknown } | null)?.message, () => this.#send(options));
  }

  #send(options: SendOptions): Promise<SendResult> {
    if (this.#closing) return Promise.reject(clientClosed());
    let request: SendRequest;
    try {
      request = prepareRequest(options);
      validateSignal(options.signal);
      // SES takes at most 50 recipients per message: refused here rather than by SES after MAIL.
      if (speaksSes(this.#options.profile)) checkSesRecipientCount(request.to.length);
      // The server's SIZE can only lower this limit: a body of known size above it can never go.
      const large = tooLarge(request, this.#options.maxMessageSize);
      if (large !== undefined) throw large;
    } catch (error) {
      return Promise.reject(asSmtpError(error));
    }
    const signal = options.signal ?? undefined;
    if (signal?.aborted) return Promise.reject(abortError(signal, 'ready'));
    return this.#queue.enqueue(request, signal, () => this.#feed());
  }

  get connected(): boolean {
    return this.#connection?.open === true;
  }

  get pipelining(): boolean {
    return this.#connection?.pipelines === true;
  }

  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  destroy(): void {
    this.#closing ??= Promise.resolve();
    this.#clearIdle();
    this.#queue.rejectAll();
    this.#lifetime.abort();
    this.#connection?.destroy();
    this.#connection = undefined;
    // Connections QUITting (close(), the idle timer) go too: a server that never answers QUIT must not
    // keep a socket, and the process, alive for the command timeout.
    for (const connection of this.#quitting.keys()) connection.destroy();
  }

  toJSON(): Record<string, unknown> {
    return { options: describeClientOptions(this.#options), closed: this.closed, queued: this.#queue.length };
  }

  [INSPECT](): string {
    return `SmtpClient ${JSON.stringify(this.toJSON())}`;
  }

  async #shutdown(): Promise<void> {
    this.#queue.rejectAll();
    this.#clearIdle();
    while (this.#opening || this.#active > 0) {
      await (this.#opening ?? new Promise<void>((resolve) => this.#drained.push(resolve)));
    }
    const connection = this.#connection;
    this.#connection = undefined;
    if (connection) void this.#quit(connection);
    // Every connection this client opened has ended when close() resolves (an idle one QUIT earlier too).
    await Promise.all(this.#quitting.values());
  }

  /** QUITs a connection this client no longer uses; destroy() can still drop it meanwhile. */
  #quit(connection: Connection): Promise<void> {
    return this.#letGo(connection, connection.quit());
  }

  /** A connection no longer used, until it has `ended`: close() waits for it, destroy() drops it. */
  #letGo(connection: Connection, ended: Promise<void>): Promise<void> {
    const done = ended.finally(() => this.#quitting.delete(connection));
    this.#quitting.set(connection, done);
    return done;
  }

  /**
   * Hands queued sends to the connection while it accepts them: when idle, and while one pipelined
   * transaction is in flight, so that the next envelope rides behind the dot (RFC 2920 §3.1). Runs
   * synchronously from the session's `onSendable`: between two replies of one read, or just before
   * a read's replies are taken in one step (the send handed over then rides in that step).
   */
  #feed(): void {
    if (this.#feeding) return;
    this.#feeding = true;
    try {
      for (let job = this.#queue.first; job !== undefined; job = this.#queue.first) {
        const connection = this.#connection;
        if (connection?.open) {
          if (!connection.acceptsSend) break;
          this.#queue.shift();
          this.#start(job, connection);
        } else {
          if (this.#opening || this.#closing) break;
          this.#queue.shift();
          if (this.#opened && !this.#reopens) {
            job.detach();
            // Nothing of it written: a lost connection before its turn, as the session names one.
            job.reject(connectionLost('ready', 'not-sent', undefined));
          } else this.#openFor(job);
        }
      }
    } finally {
      this.#feeding = false;
    }
    this.#armIdle();
  }

  #start(job: Job, connection: Connection): void {
    job.detach();
    if (job.signal?.aborted) {
      job.reject(abortError(job.signal, 'ready'));
      return;
    }
    this.#clearIdle();
    this.#active++;
    connection
      .send(job.request, job.signal)
      // Past this point bytes of the message may be out: a failure that is not an SmtpError (a bug)
      // is 'unknown', never a retryable 'not-sent'.
      .then(job.resolve, (error: unknown) =>
        job.reject(error instanceof SmtpError ? error : internalError(error)),
      )
      .finally(() => {
        this.#active--;
        if (this.#active === 0) for (const resolve of this.#drained.splice(0)) resolve();
        this.#feed();
      });
  }

  /** Opens a fresh connection for `job` (its signal can cut the attempt short); the rest follow on it. */
  #openFor(job: Job): void {
    this.#opened = true;
    job.detach();
    const stale = this.#connection;
    this.#connection = undefined;
    stale?.destroy();
    const lifetime = this.#lifetime.signal;
    let opening: Promise<void> | undefined;
    opening = (async () => {
      // Nothing runs before #opening is set: a failure at once must still find it to clear.
      await undefined;
      // Not AbortSignal.any: on Node 20 it leaves a reference on `lifetime` per connection opened.
      const either = job.signal ? anySignal([job.signal, lifetime]) : undefined;
      try {
        if (lifetime.aborted) throw clientClosed();
        if (job.signal?.aborted) throw abortError(job.signal, 'ready');
        const connection = await Connection.open(this.#connectionParams(), either?.signal ?? lifetime);
        if (lifetime.aborted) {
          connection.destroy();
          throw clientClosed();
        }
        this.#connection = connection;
        this.#start(job, connection);
      } catch (error) {
        // destroy() during the setup: the caller's doing, named where the setup stood (as an abort is).
        job.reject(
          lifetime.aborted
            ? clientClosed(error instanceof SmtpError ? error.phase : 'closed')
            : asSmtpError(error),
        );
      } finally {
        either?.stop();
        if (this.#opening === opening) this.#opening = undefined;
        if (this.#active === 0) for (const resolve of this.#drained.splice(0)) resolve();
        this.#feed();
      }
    })();
    this.#opening = opening;
  }

  /** SES closes a connection idle for about 10 s (ses-facts.md): QUIT first, reconnect on the next send. */
  #armIdle(): void {
    const ms = this.#options.idleTimeoutMs;
    if (ms === 0 || this.#idleTimer || this.#closing || this.#opening) return;
    if (this.#active > 0 || this.#queue.length > 0 || this.#connection?.open !== true) return;
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = undefined;
      const connection = this.#connection;
      if (this.#active > 0 || this.#queue.length > 0 || this.#opening || !connection?.idle) return;
      this.#connection = undefined;
      void this.#quit(connection);
    }, ms);
    this.#idleTimer.unref?.();
  }

  #clearIdle(): void {
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
  }

  #connectionParams(): ConnectionParams {
    const { host, port, address } = this.#options;
    this.#log({ type: 'connecting', host, port, ...(address ? { address } : {}) });
    return connectionParams(
      this.#options,
      (event) => this.#log(event),
      () => this.#feed(),
      // Still closing after its setup failed (QUIT after a refusal): close() waits for it too.
      (connection) => this.#letGo(connection, connection.closed),
    );
  }

  #log(event: ClientEvent): void {
    try {
      this.#options.logger?.(event);
    } catch {
      // A failing logger must not change delivery.
    }
  }
}

/**
 * Creates a client for one SMTP server. Validates every option at once (throws SmtpUsageError);
 * connects only when the first message is sent.
 */
export function createClient(options: ClientOptions): SmtpClient {
  return new Client(resolveClientOptions(options));
}

/**
 * createPool's client (internal): as createClient, but it opens one connection in its life. A send
 * still queued when that connection has ended (the third on a shared connection) fails
 * CONNECTION_CLOSED, not-sent, in phase `ready`, and the pool sends it again on a connection it opens
 * and counts, rather than this client reconnecting inside a slot the pool is retiring.
 */
export function createPooledClient(options: ClientOptions): SmtpClient {
  return new Client(resolveClientOptions(options), false);
}
