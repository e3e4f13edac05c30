/**
 * The client ended while its STARTTLS handshake is under way (RFC 3207 §4: after the 220 the next
 * bytes are the handshake's), against a server that answers STARTTLS and then never answers the
 * ClientHello. destroy() must end the attempt at once, as the caller's doing; close() lets the
 * setup run to its (bounded) end, as it lets any send in flight finish.
 */
import * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient, type SmtpClient } from '../../src/transport/client.js';
import { MESSAGE, rejection } from '../support/client-harness.js';
import { tlsFixtures } from '../support/tls-fixtures.js';

const envelope = { from: 'a@example.test', to: ['b@example.test'], message: MESSAGE };

interface StalledServer {
  readonly port: number;
  /** Resolves with the first bytes read after the 220 to STARTTLS (the ClientHello). */
  readonly hello: Promise<Buffer>;
  /** Resolves when the client's socket has closed. */
  readonly closed: Promise<void>;
  close(): Promise<void>;
}

/** Greets, offers STARTTLS, answers it with 220, then reads the handshake and says nothing more. */
async function stalledHandshakeServer(): Promise<StalledServer> {
  let helloSeen!: (bytes: Buffer) => void;
  let socketClosed!: () => void;
  const hello = new Promise<Buffer>((resolve) => {
    helloSeen = resolve;
  });
  const closed = new Promise<void>((resolve) => {
    socketClosed = resolve;
  });
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => {
      sockets.delete(socket);
      socketClosed();
    });
    let upgrading = false;
    let text = '';
    socket.on('data', (chunk: Buffer) => {
      if (upgrading) {
        helloSeen(chunk);
        return;
      }
      text += chunk.toString('latin1');
      for (let end = text.indexOf('\r\n'); end >= 0; end = text.indexOf('\r\n')) {
        const line = text.slice(0, end).toUpperCase();
        text = text.slice(end + 2);
        if (line.startsWith('EHLO')) socket.write('250-stalled.test\r\n250 STARTTLS\r\n');
        else if (line === 'STARTTLS') {
          upgrading = true;
          socket.write('220 2.0.0 Ready to start TLS\r\n');
        } else socket.write('502 5.5.2 Not expected\r\n');
      }
    });
    socket.write('220 stalled.test ESMTP\r\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    port,
    hello,
    closed,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

const opened: { server: StalledServer; client: SmtpClient }[] = [];

afterEach(async () => {
  for (const { server, client } of opened.splice(0)) {
    client.destroy();
    await server.close();
  }
});

async function setup(connectMs: number) {
  const fixtures = await tlsFixtures();
  const server = await stalledHandshakeServer();
  const client = createClient({
    host: 'localhost',
    address: '127.0.0.1',
    port: server.port,
    security: 'starttls',
    tls: { ca: fixtures.ca.cert },
    timeouts: { connect: connectMs },
  });
  opened.push({ server, client });
  return { server, client };
}

describe('the client ended during its STARTTLS handshake', () => {
  it('destroy(): the send fails at once as the caller’s doing (CLIENT_CLOSED, phase tls, not-sent), the socket closes', async () => {
    const { server, client } = await setup(30_000);
    const pending = rejection(client.send(envelope));
    const hello = await server.hello;
    expect(hello[0]).toBe(0x16); // a TLS handshake record: the ClientHello went out after the 220
    const started = Date.now();
    client.destroy();
    expect(await pending).toMatchObject({ code: 'SMTP_CLIENT_CLOSED', phase: 'tls', outcome: 'not-sent' });
    await server.closed;
    expect(Date.now() - started).toBeLessThan(1000);
    expect(client.closed).toBe(true);
    expect(client.connected).toBe(false);
  });

  it('close(): the setup runs to its bounded end — the handshake times out, the send fails retryable and not-sent — then close() resolves', async () => {
    const { server, client } = await setup(300);
    const pending = rejection(client.send(envelope));
    await server.hello;
    const started = Date.now();
    const closing = client.close();
    const error = await pending;
    expect(error).toMatchObject({ code: 'SMTP_TIMEOUT', phase: 'tls', outcome: 'not-sent' });
    await closing;
    await server.closed;
    // Not the 30 s default: the connect timeout bounds the handshake, and close() waited no longer.
    expect(Date.now() - started).toBeLessThan(3000);
    expect((await rejection(client.send(envelope))).code).toBe('SMTP_CLIENT_CLOSED');
  });
});
