import { once } from 'node:events';
import * as net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { dial } from '../../src/transport/connect.js';
import { buildTlsOptions } from '../../src/transport/tls-options.js';
import { closedPort, failure } from './dial-support.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** A TCP server that accepts, reads and says nothing; `closed` resolves when the client's socket closes. */
async function silentServer(): Promise<{ port: number; closed: Promise<void> }> {
  const sockets: net.Socket[] = [];
  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => {
    resolveClosed = resolve;
  });
  const server = net.createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => {});
    socket.once('close', resolveClosed);
    socket.resume(); // read (and drop) a ClientHello, so that the client's FIN is seen
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { port: (server.address() as net.AddressInfo).port, closed };
}

const plainDial = (port: number, timeout: number) =>
  dial({ host: '127.0.0.1', port, implicitTls: false, tlsOptions: {}, timeout });
const implicitDial = (port: number, timeout: number) =>
  dial({
    host: 'localhost',
    address: '127.0.0.1',
    port,
    implicitTls: true,
    tlsOptions: buildTlsOptions('localhost'),
    timeout,
  });

describe('dial: the socket it makes', () => {
  it('turns Nagle off (setNoDelay(true)): a flight is one write and must not wait for an ACK', async () => {
    const setNoDelay = vi.spyOn(net.Socket.prototype, 'setNoDelay');
    const { port } = await silentServer();
    const socket = await plainDial(port, 2000);
    cleanups.push(() => void socket.destroy());
    expect(setNoDelay).toHaveBeenCalledWith(true);
  });

  it('outlives its connect timeout once connected (the timer is cleared)', async () => {
    const { port, closed } = await silentServer();
    const socket = await plainDial(port, 50);
    cleanups.push(() => void socket.destroy());
    const early = await Promise.race([closed.then(() => 'closed'), delay(200).then(() => 'open')]);
    expect(early).toBe('open');
    expect(socket.destroyed).toBe(false);
  });

  it('is destroyed when the implicit-TLS handshake times out: the server sees it close', async () => {
    const { port, closed } = await silentServer();
    const error = await failure(implicitDial(port, 100));
    expect(error).toMatchObject({ code: 'SMTP_TIMEOUT', phase: 'connect' });
    const after = await Promise.race([closed.then(() => 'closed'), delay(2000).then(() => 'open')]);
    expect(after).toBe('closed');
  });
});

describe('dial: implicit TLS', () => {
  it('reports a refused TCP connection as CONNECTION_FAILED, retryable — not as a TLS failure', async () => {
    const port = await closedPort();
    const error = await failure(implicitDial(port, 2000));
    expect(error).toMatchObject({ code: 'SMTP_CONNECTION_FAILED', phase: 'connect', retryable: true });
    expect((error.cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
  });
});

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
