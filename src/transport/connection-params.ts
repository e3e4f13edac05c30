/**
 * What createClient hands each new Connection: the resolved options as connection and session
 * parameters (RFC 5321 §4.1.4 EHLO name, RFC 3207/8314 TLS), with events shaped for the client's logger.
 */
import type { ClientEvent, ResolvedClientOptions } from './client-options.js';
import { defaultClientName } from './client-options.js';
import type { Connection, ConnectionEvent, ConnectionParams } from './connection.js';
import { buildTlsOptions } from './tls-options.js';

/**
 * `log` gets redacted events only; `onSendable` runs when the session can take the next send;
 * `onSetupFailed` gets a connection open() rejected with, which may still be closing.
 */
export function connectionParams(
  o: ResolvedClientOptions,
  log: (event: ClientEvent) => void,
  onSendable: () => void,
  onSetupFailed: (connection: Connection) => void,
): ConnectionParams {
  return {
    onSetupFailed,
    host: o.host,
    port: o.port,
    ...(o.address === undefined ? {} : { address: o.address }),
    tlsOptions: buildTlsOptions(o.host, o.tls),
    connectTimeout: o.timeouts.connect,
    onEvent: (event) => log(toClientEvent(event)),
    session: {
      clientName: o.clientName ?? ((socket) => defaultClientName(socket.localAddress)),
      security: o.security,
      ...(o.auth === undefined ? {} : { auth: o.auth.reveal() }),
      maxMessageSize: o.maxMessageSize,
      timeouts: o.timeouts,
      pipelining: o.pipelining,
      chunking: o.chunking,
      onSendable,
      // A flight's replies trickling in over several reads are taken in one machine step.
      coalesceReplies: true,
      dangerouslyAllowAuthWithoutTls: o.dangerouslyAllowAuthWithoutTls,
      ...(o.profile === undefined ? {} : { profile: o.profile }),
      ...(o.logger === undefined ? {} : { onTranscript: (entry) => log({ type: 'transcript', ...entry }) }),
    },
  };
}

/** A socket error's code and message only: its other fields may carry anything. */
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
