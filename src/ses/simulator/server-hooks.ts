/**
 * Hooks into smtp-server's internals: each connection is tracked (for `stats.active` and close()),
 * each reply is rewritten into SES's text before it is written, and server errors are survived.
 */
import type { Server, Socket } from 'node:net';
import type { SMTPServer } from 'smtp-server';
import type { SesSimulatorListener } from './listener.js';
import { rejectionReason } from './rejections.js';
import { rewriteReply } from './replies.js';
import type { SimulatorState } from './server-options.js';
import type { SesSimulatorStats } from './simulator.js';

/** The parts of smtp-server's connection and server objects the reply rewrite hooks into. */
interface ConnectionInternals {
  send(code: number, data?: string | string[], context?: unknown): void;
  close(): void;
  /** Runs once the connection's socket (the TLS one after STARTTLS) has closed. */
  _onClose(): void;
}
export interface ServerInternals {
  connect(socket: Socket, socketOptions?: unknown): void;
  readonly connections: Set<ConnectionInternals>;
  readonly server: Server;
}

/** Tracks each new connection's socket and rewrites its replies. */
export function trackConnections(smtp: SMTPServer, { stats, sockets }: SimulatorState): ServerInternals {
  const internals = smtp as unknown as ServerInternals;
  const connect = internals.connect.bind(internals);
  internals.connect = (socket, socketOptions) => {
    sockets.add(socket);
    stats.active = sockets.size;
    const forget = (): void => {
      sockets.delete(socket);
      stats.active = sockets.size;
    };
    // At STARTTLS smtp-server removes every listener of the plain socket (and listens on the TLS
    // one): the connection's own close hook is what still runs then.
    socket.once('close', forget);
    connect(socket, socketOptions);
    const connection = [...internals.connections].at(-1);
    if (connection !== undefined) {
      rewriteReplies(connection, stats);
      const onClose = connection._onClose.bind(connection);
      connection._onClose = () => {
        forget();
        onClose();
      };
    }
  };
  return internals;
}

// smtp-server has its own reply texts; SES's are rewritten in before each reply is written.
function rewriteReplies(connection: ConnectionInternals, stats: SesSimulatorStats): void {
  const send = connection.send.bind(connection);
  connection.send = (code, data, context) => {
    const reply = rewriteReply(code, data);
    if (reply.code >= 400) stats.rejected[rejectionReason(reply.data)] += 1;
    send(reply.code, reply.data, context);
    if (reply.close) connection.close();
  };
}

// smtp-server re-emits socket and handshake failures as 'error' on the server: without a listener
// one client closing before its TLS handshake would end the whole process.
export function surviveErrors(
  smtp: SMTPServer,
  listener: SesSimulatorListener,
  stats: SesSimulatorStats,
  onError: ((error: Error, listener: SesSimulatorListener) => void) | undefined,
): SMTPServer {
  return smtp.on('error', (error: Error & { syscall?: string }) => {
    if (error.syscall === 'listen') return; // reported by startSesSimulator's rejection
    stats.errors += 1;
    try {
      onError?.(error, listener);
    } catch {
      // A failing observer must not take the simulator down either.
    }
  });
}

export function closeServer(internals: ServerInternals): Promise<void> {
  if (!internals.server.listening) return Promise.resolve();
  return new Promise((resolve) => (internals as unknown as SMTPServer).close(() => resolve()));
}
