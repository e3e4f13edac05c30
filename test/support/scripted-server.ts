/**
 * An in-process scripted SMTP server on 127.0.0.1 (imapflow style): it answers a full happy session
 * by default (RFC 5321, STARTTLS per RFC 3207, AUTH PLAIN/LOGIN per RFC 4954) and each test
 * overrides one verb. It records every byte, command and transaction so tests can assert on the wire.
 */
import { once } from 'node:events';
import * as net from 'node:net';
import type { PemPair } from '../../src/testing/certificates.js';
import { Connection } from './scripted-connection.js';
import {
  type ConnectionState,
  defaultReply,
  type ReplyContext,
  type ScriptedVerb,
} from './scripted-replies.js';

export type { ScriptedVerb } from './scripted-replies.js';

/**
 * A string is sent as the reply (CRLF appended when missing; may hold several lines), `null` keeps
 * the server silent, and a function decides per line: returning `undefined` falls back to the default.
 */
export type ScriptedOverride =
  | string
  | null
  | ((line: string, connection: ScriptedConnection, fallback: () => string) => string | null | undefined);

export interface ScriptedServerOptions {
  /** Server certificate for STARTTLS and implicit TLS. Without it STARTTLS answers 454. */
  readonly tls?: PemPair;
  /** TLS from the first byte (port 465 style). Requires `tls`. */
  readonly implicitTls?: boolean;
  readonly hostname?: string;
  /** EHLO keywords before TLS. Default: PIPELINING, 8BITMIME, SIZE <sizeLimit>, STARTTLS (with tls), AUTH PLAIN LOGIN, ENHANCEDSTATUSCODES. */
  readonly capabilities?: readonly string[];
  /** EHLO keywords once TLS is up. Default: `capabilities` without STARTTLS. */
  readonly capabilitiesAfterTls?: readonly string[];
  /** Credentials AUTH accepts; without them any credentials are accepted. */
  readonly credentials?: { readonly user: string; readonly pass: string };
  /** Refuses MAIL with a larger SIZE= and messages over it at the dot (552). Default 10485760. */
  readonly sizeLimit?: number;
  /** After this many accepted messages on a connection, the next MAIL gets 421 and the connection closes (SES style). */
  readonly maxMessagesPerConnection?: number;
  readonly overrides?: Partial<Record<ScriptedVerb, ScriptedOverride>>;
  /**
   * Delay every reply after the greeting by this many ms (a round trip's worth of latency; replies
   * keep their order). Not for STARTTLS sessions. Default 0: replies are written at once.
   */
  readonly replyDelayMs?: number;
  /** While reading a DATA body, pause the socket this many ms after each read (a slow but live link). */
  readonly bodyReadPauseMs?: number;
}

export interface ReceivedChunk {
  readonly secure: boolean;
  readonly bytes: Buffer;
}

export interface ReceivedCommand {
  readonly line: string;
  readonly verb: ScriptedVerb;
  /** Index in `chunks` of the chunk that completed this line: equal indices = same TCP read. */
  readonly chunk: number;
  readonly secure: boolean;
}

export interface ScriptedTransaction {
  readonly connection: number;
  /** 'BDAT' when the message came in BDAT chunks (RFC 3030): `raw` and `content` are then the chunk data. */
  readonly via?: 'DATA' | 'BDAT';
  readonly from: string;
  readonly mailParams: readonly string[];
  readonly to: readonly string[];
  /** Every byte received after the 354, up to and including the terminating ".\r\n". */
  readonly raw: Buffer;
  /** The message with dot-stuffing removed and without the terminator line. */
  readonly content: Buffer;
  /** The reply given to the final dot (`null` when the server stayed silent). */
  readonly reply: string | null;
}

export interface ScriptedConnection {
  readonly id: number;
  readonly state: ConnectionState;
  readonly chunks: readonly ReceivedChunk[];
  readonly commands: readonly ReceivedCommand[];
  /** Plaintext bytes that followed the STARTTLS line in the same read (discarded, RFC 3207 §4). */
  readonly discardedAfterStartTls: Buffer;
  /** Bytes received in DATA mode without a terminator yet. */
  readonly pendingData: Buffer;
  readonly tlsError: Error | undefined;
  readonly isClosed: boolean;
  readonly whenClosed: Promise<void>;
  /** Every application byte received, in order (plaintext, then decrypted after TLS). */
  received(): Buffer;
  write(data: string | Uint8Array): void;
  /** Half-close gracefully (FIN). */
  close(): void;
  /** Drop the connection at once. */
  destroy(): void;
}

export interface ScriptedServer {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly connections: readonly ScriptedConnection[];
  readonly transactions: readonly ScriptedTransaction[];
  /** Sets or replaces (or with `undefined` removes) a verb's override for later lines. */
  override(verb: ScriptedVerb, override: ScriptedOverride | undefined): void;
  /** Resolves once `predicate` holds (polled); rejects after `timeoutMs`. */
  waitFor(predicate: () => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

class ServerImpl implements ScriptedServer {
  readonly host = '127.0.0.1' as const;
  readonly connections: Connection[] = [];
  readonly transactions: ScriptedTransaction[] = [];
  readonly overrides: Partial<Record<ScriptedVerb, ScriptedOverride>>;
  dataOctets = 0;
  private readonly netServer: net.Server;
  private messageCounter = 0;

  constructor(readonly options: ScriptedServerOptions) {
    this.overrides = { ...options.overrides };
    this.netServer = net.createServer((socket) => {
      this.connections.push(new Connection(this.connections.length, socket, this));
    });
  }

  get port(): number {
    return (this.netServer.address() as net.AddressInfo).port;
  }

  async listen(): Promise<void> {
    this.netServer.listen(0, '127.0.0.1');
    await once(this.netServer, 'listening');
  }

  override(verb: ScriptedVerb, override: ScriptedOverride | undefined): void {
    if (override === undefined) delete this.overrides[verb];
    else this.overrides[verb] = override;
  }

  replyFor(verb: ScriptedVerb, line: string, connection: Connection): string | null {
    const limit = this.options.maxMessagesPerConnection;
    if (verb === 'MAIL' && limit !== undefined && connection.state.messages >= limit) {
      return '421 4.7.0 Maximum message count per session reached';
    }
    const fallback = (): string => defaultReply(verb, line, this.context(connection));
    const override = this.overrides[verb];
    if (override === undefined) return fallback();
    if (typeof override !== 'function') return override;
    const chosen = override(line, connection, fallback);
    return chosen === undefined ? fallback() : chosen;
  }

  async waitFor(predicate: () => boolean, timeoutMs = 2000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error('scripted server: waitFor timed out');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  async close(): Promise<void> {
    for (const connection of this.connections) connection.destroy();
    await new Promise<void>((resolve) => this.netServer.close(() => resolve()));
  }

  private context(connection: Connection): ReplyContext {
    const sizeLimit = this.options.sizeLimit ?? 10_485_760;
    return {
      state: connection.state,
      hostname: this.options.hostname ?? 'scripted.test',
      capabilities: this.capabilities(connection.state.secure, sizeLimit),
      tlsAvailable: this.options.tls !== undefined,
      credentials: this.options.credentials,
      sizeLimit,
      messageId: () => `scripted-${connection.id}-${++this.messageCounter}`,
      dataOctets: this.dataOctets,
    };
  }

  private capabilities(secure: boolean, sizeLimit: number): readonly string[] {
    const base = this.options.capabilities ?? [
      'PIPELINING',
      '8BITMIME',
      `SIZE ${sizeLimit}`,
      ...(this.options.tls && !this.options.implicitTls ? ['STARTTLS'] : []),
      'AUTH PLAIN LOGIN',
      'ENHANCEDSTATUSCODES',
    ];
    if (!secure) return base;
    return (
      this.options.capabilitiesAfterTls ?? base.filter((keyword) => keyword.toUpperCase() !== 'STARTTLS')
    );
  }
}

/** Starts a scripted server on 127.0.0.1 with an ephemeral port. */
export async function startScriptedServer(options: ScriptedServerOptions = {}): Promise<ScriptedServer> {
  const server = new ServerImpl(options);
  await server.listen();
  return server;
}
