/**
 * createClient: one SMTP connection at a time (RFC 5321), opened lazily, reused while it lasts,
 * replaced when it ends. Sends queue and run one transaction at a time; each settles exactly once.
 * No retries here: deciding to retry (and when) belongs to the delivery layer.
 */
import { ErrorCodes } from '../errors/codes.js';
import { SmtpError, SmtpUsageError } from '../errors/smtp-error.js';
import { validateAddress } from '../protocol/address.js';
import type { SendRequest, SendResult } from '../session/types.js';
import { validatedRequest } from '../session/validation.js';
import {
  type ClientEvent,
  type ClientOptions,
  defaultClientName,
  describeClientOptions,
  type ResolvedClientOptions,
  resolveClientOptions,
} from './client-options.js';
import { abortError } from './connect.js';
import { Connection, type ConnectionEvent, type ConnectionParams } from './connection.js';
import { encodedSize, type MessageInput, prepareMessage, unstuffedSize } from './message-source.js';
import { buildTlsOptions } from './tls-options.js';

export type { SendResult } from '../session/types.js';
export type { ClientCredentials, ClientEvent, ClientLogger, ClientOptions } from './client-options.js';
export type { MessageInput } from './message-source.js';
export type { TlsSettings } from './tls-options.js';

export interface SendOptions {
  /** Envelope sender (MAIL FROM); '' is the null sender. */
  readonly from: string;
  /** Envelope recipients (RCPT TO), at least one. */
  readonly to: string | readonly string[];
  /** The whole message (headers and body). Strings are sent as UTF-8. */
  readonly message: MessageInput;
  readonly signal?: AbortSignal;
}

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
}

interface Job {
  readonly request: SendRequest;
  readonly signal: AbortSignal | undefined;
  resolve(result: SendResult): void;
  reject(error: SmtpError): void;
  detach(): void;
}

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

function clientClosed(): SmtpError {
  return new SmtpError({
    code: ErrorCodes.CLIENT_CLOSED,
    message: 'the client was closed before this message was sent',
    origin: 'local',
    outcome: 'not-sent',
    phase: 'closed',
  });
}

function asSmtpError(error: unknown): SmtpError {
  if (error instanceof SmtpError) return error;
  return new SmtpError({
    code: ErrorCodes.CONNECTION_FAILED,
    message: 'unexpected failure (see cause)',
    origin: 'network',
    outcome: 'not-sent',
    cause: error,
  });
}

function badInput(code: SmtpUsageError['code'], field: string, problem: string): SmtpUsageError {
  return new SmtpUsageError({ code, field, message: `${field}: ${problem}` });
}

/** Checks the envelope and encodes whole bodies, before anything is queued or connected. */
function prepareRequest(options: SendOptions): SendRequest {
  if (options === null || typeof options !== 'object') {
    throw badInput(ErrorCodes.INVALID_ARGUMENT, 'options', 'must be an object with from, to and message');
  }
  const { from } = options;
  if (typeof from !== 'string') throw badInput(ErrorCodes.INVALID_ADDRESS, 'from', 'must be a string');
  // Non-ASCII is let through here; the session refuses it if the server lacks SMTPUTF8, before MAIL.
  validateAddress(from, 'from', { allowNull: true, smtputf8: true });
  const to: unknown = typeof options.to === 'string' ? [options.to] : options.to;
  if (!Array.isArray(to) || to.length === 0) {
    throw badInput(ErrorCodes.NO_RECIPIENTS, 'to', 'needs at least one recipient');
  }
  to.forEach((recipient: unknown, index) => {
    const field = `to[${index}]`;
    if (typeof recipient !== 'string') throw badInput(ErrorCodes.INVALID_ADDRESS, field, 'must be a string');
    validateAddress(recipient, field, { allowNull: false, smtputf8: true });
  });
  const body = prepareMessage(options.message);
  const request: SendRequest =
    body.kind === 'encoded'
      ? {
          from,
          to: [...to],
          size: encodedSize(body),
          unstuffedSize: unstuffedSize(body),
          eightBit: body.has8bit,
          body,
        }
      : { from, to: [...to], body };
  return validatedRequest(request); // the session's own checks (e.g. whole MAIL line length), once
}

class Client implements SmtpClient {
  readonly #options: ResolvedClientOptions;
  readonly #queue: Job[] = [];
  #connection: Connection | undefined;
  /** A connection being opened for the job it was opened for. */
  #opening: Promise<void> | undefined;
  /** Sends handed to a connection and not yet settled (at most two: RFC 2920 §3.1). */
  #active = 0;
  #feeding = false;
  #idleTimer: ReturnType<typeof setTimeout> | undefined;
  #drained: (() => void)[] = [];
  #closing: Promise<void> | undefined;
  /** Aborted by destroy(): cuts a connection attempt short. */
  readonly #lifetime = new AbortController();

  constructor(options: ResolvedClientOptions) {
    this.#options = options;
  }

  get closed(): boolean {
    return this.#closing !== undefined;
  }

  send(options: SendOptions): Promise<SendResult> {
    if (this.#closing) return Promise.reject(clientClosed());
    let request: SendRequest;
    try {
      request = prepareRequest(options);
    } catch (error) {
      return Promise.reject(asSmtpError(error));
    }
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(abortError(signal, 'ready'));
    return new Promise<SendResult>((resolve, reject) => {
      const job: Job = {
        request,
        signal,
        resolve,
        reject,
        detach: () => signal?.removeEventListener('abort', onAbort),
      };
      // Aborted while queued: leave the queue at once. In flight, the session handles the signal.
      const onAbort = (): void => {
        const index = this.#queue.indexOf(job);
        if (index === -1) return;
        this.#queue.splice(index, 1);
        job.detach();
        reject(abortError(signal as AbortSignal, 'ready'));
      };
      this.#queue.push(job);
      this.#feed();
      // Handed to a connection at once (the usual case), the session watches the signal from there.
      // Still queued, it is the last job (#feed only takes from the front): watch the signal meanwhile.
      if (signal && this.#queue.at(-1) === job) signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  get connected(): boolean {
    return this.#connection?.open === true;
  }

  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  destroy(): void {
    this.#closing ??= Promise.resolve();
    this.#clearIdle();
    this.#rejectQueued();
    this.#lifetime.abort();
    this.#connection?.destroy();
    this.#connection = undefined;
  }

  #rejectQueued(): void {
    for (const job of this.#queue.splice(0)) {
      job.detach();
      job.reject(clientClosed());
    }
  }

  toJSON(): Record<string, unknown> {
    return { options: describeClientOptions(this.#options), closed: this.closed, queued: this.#queue.length };
  }

  [INSPECT](): string {
    return `SmtpClient ${JSON.stringify(this.toJSON())}`;
  }

  async #shutdown(): Promise<void> {
    this.#rejectQueued();
    this.#clearIdle();
    while (this.#opening || this.#active > 0) {
      await (this.#opening ?? new Promise<void>((resolve) => this.#drained.push(resolve)));
    }
    const connection = this.#connection;
    this.#connection = undefined;
    await connection?.quit();
  }

  /**
   * Hands queued sends to the connection while it accepts them: when idle, and while one pipelined
   * transaction is in flight, so that the next envelope rides behind the dot (RFC 2920 §3.1). Runs
   * synchronously from the session's `onSendable`, between two replies of one read.
   */
  #feed(): void {
    if (this.#feeding) return;
    this.#feeding = true;
    try {
      for (let job = this.#queue[0]; job !== undefined; job = this.#queue[0]) {
        const connection = this.#connection;
        if (connection?.open) {
          if (!connection.acceptsSend) break;
          this.#queue.shift();
          this.#start(job, connection);
        } else {
          if (this.#opening || this.#closing) break;
          this.#queue.shift();
          this.#openFor(job);
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
      .then(job.resolve, (error: unknown) => job.reject(asSmtpError(error)))
      .finally(() => {
        this.#active--;
        if (this.#active === 0) for (const resolve of this.#drained.splice(0)) resolve();
        this.#feed();
      });
  }

  /** Opens a fresh connection for `job` (its signal can cut the attempt short); the rest follow on it. */
  #openFor(job: Job): void {
    job.detach();
    const stale = this.#connection;
    this.#connection = undefined;
    stale?.destroy();
    const lifetime = this.#lifetime.signal;
    this.#opening = (async () => {
      try {
        if (lifetime.aborted) throw clientClosed();
        if (job.signal?.aborted) throw abortError(job.signal, 'ready');
        const connection = await Connection.open(
          this.#connectionParams(),
          job.signal ? AbortSignal.any([job.signal, lifetime]) : lifetime,
        );
        if (lifetime.aborted) {
          connection.destroy();
          throw clientClosed();
        }
        this.#connection = connection;
        this.#start(job, connection);
      } catch (error) {
        job.reject(lifetime.aborted ? clientClosed() : asSmtpError(error));
      } finally {
        this.#opening = undefined;
        if (this.#active === 0) for (const resolve of this.#drained.splice(0)) resolve();
        this.#feed();
      }
    })();
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
      void connection.quit();
    }, ms);
    this.#idleTimer.unref?.();
  }

  #clearIdle(): void {
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
  }

  #connectionParams(): ConnectionParams {
    const o = this.#options;
    this.#log({
      type: 'connecting',
      host: o.host,
      port: o.port,
      ...(o.address ? { address: o.address } : {}),
    });
    return {
      host: o.host,
      port: o.port,
      ...(o.address === undefined ? {} : { address: o.address }),
      tlsOptions: buildTlsOptions(o.host, o.tls),
      connectTimeout: o.timeouts.connect,
      onEvent: (event) => this.#log(toClientEvent(event)),
      session: {
        clientName: o.clientName ?? ((socket) => defaultClientName(socket.localAddress)),
        security: o.security,
        ...(o.auth === undefined ? {} : { auth: o.auth.reveal() }),
        ...(o.maxMessageSize === undefined ? {} : { maxMessageSize: o.maxMessageSize }),
        timeouts: o.timeouts,
        pipelining: o.pipelining,
        chunking: o.chunking,
        onSendable: () => this.#feed(),
        dangerouslyAllowAuthWithoutTls: o.dangerouslyAllowAuthWithoutTls,
        ...(o.profile === undefined ? {} : { profile: o.profile }),
        ...(o.logger === undefined
          ? {}
          : { onTranscript: (entry) => this.#log({ type: 'transcript', ...entry }) }),
      },
    };
  }

  #log(event: ClientEvent): void {
    try {
      this.#options.logger?.(event);
    } catch {
      // A failing logger must not change delivery.
    }
  }
}

function toClientEvent(event: ConnectionEvent): ClientEvent {
  if (event.type !== 'closed' || event.error === undefined) return event as ClientEvent;
  const error = event.error as { code?: unknown; message?: unknown };
  return {
    type: 'closed',
    error: {
      ...(typeof error.code === 'string' ? { code: error.code } : {}),
      message: typeof error.message === 'string' ? error.message : 'socket error',
    },
  };
}

/**
 * Creates a client for one SMTP server. Validates every option at once (throws SmtpUsageError);
 * connects only when the first message is sent.
 */
export function createClient(options: ClientOptions): SmtpClient {
  return new Client(resolveClientOptions(options));
}
