/**
 * A local Amazon SES SMTP endpoint for tests and demos: a STARTTLS port (like 587) and an
 * implicit-TLS port (like 465) on 127.0.0.1 that answer as SES does (ses-facts.md, the SES reply
 * table). Built on the optional `smtp-server` package, imported only when a simulator starts.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SMTPServer, SMTPServerOptions } from 'smtp-server';
import { ErrorCodes } from '../../errors/codes.js';
import { SmtpUsageError } from '../../errors/smtp-error.js';
import { createTestCertificates } from '../../testing/certificates.js';
import { deriveSesSmtpPassword } from '../password.js';
import { type ForcedReply, SesBehaviour, type SesSimulatorMessage } from './behaviour.js';
import { listen, type SesSimulatorListener } from './listener.js';
import { resolveSimulatorOptions, type SesSimulatorOptions } from './options.js';
import { rejectionReason, SES_REJECTION_REASONS, type SesRejectionReason } from './rejections.js';
import { rewriteReply, SES_HOST_NAME, SesReplies } from './replies.js';

export type { SesSimulatorMessage } from './behaviour.js';
export { SesSimulatorListenError, type SesSimulatorListener } from './listener.js';
export type { SesSimulatorCredential, SesSimulatorOptions } from './options.js';
export type { SesRejectionReason } from './rejections.js';

export interface SesSimulatorStats {
  /** Connections accepted so far (both ports, including refused ones). */
  connections: number;
  /** Connections open now. */
  active: number;
  /** Messages accepted (`250 Ok <id>`). */
  accepted: number;
  /** Refusals (4xx/5xx replies) by reason. */
  readonly rejected: Record<SesRejectionReason, number>;
  /**
   * Server-side errors survived: clients that vanish mid-handshake ("Socket closed while initiating
   * TLS"), resets inside a transaction, and the like. Each also goes to the `onError` option.
   */
  errors: number;
}

export interface SesSimulator {
  readonly host: '127.0.0.1';
  readonly starttlsPort: number;
  readonly tlsPort: number;
  readonly region: string;
  /** The test CA that signed the server certificate, and a temp file holding it (for CLI users). */
  readonly caPem: string;
  readonly caFile: string;
  /** SMTP user names and derived passwords that authenticate. */
  readonly users: readonly { readonly user: string; readonly pass: string }[];
  readonly messages: readonly SesSimulatorMessage[];
  readonly stats: Readonly<SesSimulatorStats>;
  /** Answers the next final dot with `reply` instead of deciding (queued; e.g. 451 Temporary service failure). */
  failNextMessage(reply?: ForcedReply): void;
  close(): Promise<void>;
}

/** The parts of smtp-server's connection and server objects the reply rewrite hooks into. */
interface ConnectionInternals {
  send(code: number, data?: string | string[], context?: unknown): void;
  close(): void;
}
interface ServerInternals {
  connect(socket: Socket, socketOptions?: unknown): void;
  readonly connections: Set<ConnectionInternals>;
  readonly server: Server;
}

async function loadSmtpServer(): Promise<typeof import('smtp-server')> {
  try {
    return await import('smtp-server');
  } catch (error) {
    throw new SmtpUsageError({
      code: ErrorCodes.DEPENDENCY_MISSING,
      message:
        'the SES simulator needs the optional peer dependency "smtp-server" (npm install smtp-server selfsigned)',
      field: 'smtp-server',
      cause: error,
    });
  }
}

export async function startSesSimulator(options: SesSimulatorOptions = {}): Promise<SesSimulator> {
  const resolved = resolveSimulatorOptions(options, () => ({
    accessKeyId: 'AKIASESSIMULATOR0001',
    secretAccessKey: randomBytes(30).toString('base64'),
  }));
  const { SMTPServer: Server } = await loadSmtpServer();
  const certificates = options.certificates ?? (await createTestCertificates());
  const behaviour = new SesBehaviour(resolved);
  const rejected = Object.fromEntries(SES_REJECTION_REASONS.map((reason) => [reason, 0]));
  const stats: SesSimulatorStats = {
    connections: 0,
    active: 0,
    accepted: 0,
    rejected: rejected as Record<SesRejectionReason, number>,
    errors: 0,
  };
  const sockets = new Set<Socket>();

  const count = (reason: SesRejectionReason): void => {
    stats.rejected[reason] += 1;
  };

  const serverOptions = (secure: boolean): SMTPServerOptions => ({
    secure,
    key: certificates.server.key,
    cert: certificates.server.cert,
    minVersion: 'TLSv1.2',
    name: SES_HOST_NAME,
    heloResponse: '%s',
    logger: false,
    disableReverseLookup: true,
    hidePIPELINING: true,
    hideSMTPUTF8: true,
    hideENHANCEDSTATUSCODES: true,
    hideDSN: true,
    hideREQUIRETLS: true,
    authMethods: ['PLAIN', 'LOGIN'],
    authRequiredMessage: SesReplies.authRequired,
    maxAllowedUnauthenticatedCommands: false,
    socketTimeout: resolved.idleTimeoutMs,
    closeTimeout: 100,
    onConnect(_session, callback) {
      stats.connections += 1;
      const max = resolved.maxConnections;
      if (max !== undefined && sockets.size > max) {
        callback(Object.assign(new Error(SesReplies.tooManyConnections), { responseCode: 421 }));
        return;
      }
      callback();
    },
    onAuth(auth, _session, callback) {
      if (behaviour.authenticate(auth.username, auth.password)) {
        callback(null, { user: auth.username });
        return;
      }
      callback(null, { message: SesReplies.authInvalid, responseCode: 535 });
    },
    onMailFrom: (_address, session, callback) => behaviour.onMailFrom(session, callback),
    onData(stream, session, callback) {
      behaviour.onData(stream, session, (error, message) => {
        if (!error) stats.accepted += 1;
        callback(error, message);
      });
    },
    onClose: (session) => behaviour.sessionClosed(session),
  });

  // smtp-server has its own reply texts; SES's are rewritten in before each reply is written.
  const hook = (smtp: SMTPServer): ServerInternals => {
    const internals = smtp as unknown as ServerInternals;
    const connect = internals.connect.bind(internals);
    internals.connect = (socket, socketOptions) => {
      sockets.add(socket);
      stats.active = sockets.size;
      socket.once('close', () => {
        sockets.delete(socket);
        stats.active = sockets.size;
      });
      connect(socket, socketOptions);
      const connection = [...internals.connections].at(-1);
      if (connection !== undefined) wrapSend(connection);
    };
    return internals;
  };
  const wrapSend = (connection: ConnectionInternals): void => {
    const send = connection.send.bind(connection);
    connection.send = (code, data, context) => {
      const reply = rewriteReply(code, data);
      if (reply.code >= 400) count(rejectionReason(reply.data));
      send(reply.code, reply.data, context);
      if (reply.close) connection.close();
    };
  };

  // smtp-server re-emits socket and handshake failures as 'error' on the server: without a listener
  // one client closing before its TLS handshake would end the whole process.
  const survive = (smtp: SMTPServer, listener: SesSimulatorListener): SMTPServer =>
    smtp.on('error', (error: Error & { syscall?: string }) => {
      if (error.syscall === 'listen') return; // reported by startSesSimulator's rejection
      stats.errors += 1;
      try {
        options.onError?.(error, listener);
      } catch {
        // A failing observer must not take the simulator down either.
      }
    });
  const starttls = hook(survive(new Server(serverOptions(false)), 'starttls'));
  const implicit = hook(survive(new Server(serverOptions(true)), 'tls'));
  let starttlsPort: number;
  let tlsPort: number;
  try {
    starttlsPort = await listen(starttls.server, resolved.starttlsPort, 'starttls');
    tlsPort = await listen(implicit.server, resolved.tlsPort, 'tls');
  } catch (error) {
    await Promise.all([closeServer(starttls), closeServer(implicit)]);
    throw error;
  }
  const caDir = await mkdtemp(join(tmpdir(), 'ses-simulator-'));
  const caFile = join(caDir, 'ca.pem');
  await writeFile(caFile, certificates.ca.cert);

  return {
    host: '127.0.0.1',
    starttlsPort,
    tlsPort,
    region: resolved.region,
    caPem: certificates.ca.cert,
    caFile,
    users: resolved.credentials.map((c) => ({
      user: c.accessKeyId,
      pass: deriveSesSmtpPassword(c.secretAccessKey, resolved.region),
    })),
    messages: behaviour.messages,
    stats,
    failNextMessage: (reply = { code: 451, text: SesReplies.temporaryFailure }) => behaviour.force(reply),
    async close() {
      for (const socket of sockets) socket.destroy();
      await Promise.all([closeServer(starttls), closeServer(implicit)]);
      await rm(caDir, { recursive: true, force: true });
    },
  };
}

function closeServer(internals: ServerInternals): Promise<void> {
  if (!internals.server.listening) return Promise.resolve();
  return new Promise((resolve) => (internals as unknown as SMTPServer).close(() => resolve()));
}
