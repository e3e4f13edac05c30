/**
 * createClient: one SMTP connection at a time (RFC 5321), opened lazily, reused while it lasts,
 * replaced when it ends. Sends queue and run one transaction at a time; each settles exactly once.
 * No retries here: deciding to retry (and when) belongs to the delivery layer.
 */
import { ErrorCodes } from '../errors/codes.js';
import { SmtpError, SmtpUsageError } from '../errors/smtp-error.js';
import { validateAddress } from '../protocol/address.js';
import type { SendRequest, SendResult } from '../session/types.js';
import { validateSendRequest } from '../session/validation.js';
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
import { type MessageInput, prepareMessage } from './message-source.js';
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
      ? { from, to: [...to], size: body.bytes.length, eightBit: body.has8bit, body }
      : { from, to: [...to], body };
  validateSendRequest(request); // the session's own checks (e.g. whole MAIL line length)
  return request;
}

class Client implements SmtpClient {
  readonly #options: ResolvedClientOptions;
  readonly #queue: Job[] = [];
  #connection: Connection | undefined;
  #running = false;
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
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#queue.push(job);
      void this.#pump();
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
    while (this.#running) await this.#idle;
    const connection = this.#connection;
    this.#connection = undefined;
    await connection?.quit();
  }

  #idle: Promise<void> = Promise.resolve();

  async #pump(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    let done!: () => void;
    this.#idle = new Promise((resolve) => {
      done = resolve;
    });
    try {
      for (let job = this.#queue.shift(); job !== undefined; job = this.#queue.shift()) {
        job.detach();
        try {
          job.resolve(await this.#run(job));
        } catch (error) {
          job.reject(asSmtpError(error));
        }
      }
    } finally {
      this.#running = false;
      done();
    }
  }

  async #run(job: Job): Promise<SendResult> {
    if (job.signal?.aborted) throw abortError(job.signal, 'ready');
    const connection = await this.#ready(job.signal);
    return connection.send(job.request, job.signal);
  }

  /** The current connection when it can take a send; otherwise a fresh one. */
  async #ready(signal: AbortSignal | undefined): Promise<Connection> {
    const current = this.#connection;
    if (current?.usable) return current;
    this.#connection = undefined;
    current?.destroy();
    const lifetime = this.#lifetime.signal;
    if (lifetime.aborted) throw clientClosed();
    try {
      const connection = await Connection.open(
        this.#connectionParams(),
        signal ? AbortSignal.any([signal, lifetime]) : lifetime,
      );
      this.#connection = connection;
      return connection;
    } catch (error) {
      throw lifetime.aborted ? clientClosed() : error;
    }
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
