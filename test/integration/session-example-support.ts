/**
 * What the tests of examples/session-over-socket.ts share: a server that keeps its side open, the
 * TCP sockets left in this process, and the SmtpError a send rejects with.
 */
import * as net from 'node:net';
import { isSmtpError, type SmtpError } from '../../src/errors/smtp-error.js';

/**
 * A server that never closes its side first (allowHalfOpen): `ended` turns true once the client's FIN
 * or reset arrives, `closed` once the connection is gone (a write after the client destroyed its
 * socket gets a reset; a half-closed client would still be reading); `play` says what it does on
 * each connection.
 */
export async function stubbornServer(play: (connection: net.Socket) => void) {
  const connections: net.Socket[] = [];
  const state = { ended: false, closed: false };
  const server = net.createServer({ allowHalfOpen: true }, (connection) => {
    connections.push(connection);
    connection.on('error', () => {});
    connection.on('end', () => {
      state.ended = true;
    });
    connection.on('close', () => {
      state.ended = true;
      state.closed = true;
    });
    play(connection);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    get ended() {
      return state.ended;
    },
    get closed() {
      return state.closed;
    },
    async close() {
      for (const connection of connections) connection.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

export { openTcpSockets as sockets } from '../support/open-sockets.js';

export const rejection = (promise: Promise<unknown>): Promise<SmtpError> =>
  promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => {
      if (!isSmtpError(error)) throw error;
      return error;
    },
  );
