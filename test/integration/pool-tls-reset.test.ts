/**
 * A connection lost during the TLS handshake (a load balancer retiring a host, a network blip) is a
 * network error, which SES's troubleshooting page says to retry; a certificate or port-mode failure
 * is not. Both modes: implicit TLS (465/2465), where the reset comes at the ClientHello, and STARTTLS
 * (587/2587), where it comes after the server's 220 to STARTTLS. The first connection is dropped by a
 * loopback front; later ones are forwarded to the scripted server.
 */
import * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createPool } from '../../src/delivery/pool.js';
import { startScriptedServer } from '../support/scripted-server.js';
import { tlsFixtures } from '../support/tls-fixtures.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

type Drop = 'at the ClientHello' | 'after the 220 to STARTTLS';

/** Drops the first connection as `drop` says (a TCP reset); forwards every later one to `target`. */
async function flakyFront(target: number, drop: Drop): Promise<{ port: number; connections: () => number }> {
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const front = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    if (connections++ === 0) {
      if (drop === 'at the ClientHello') {
        socket.once('data', () => socket.resetAndDestroy());
        return;
      }
      // A plaintext dialogue up to the 220 to STARTTLS, then a reset at the ClientHello.
      socket.write('220 front ESMTP\r\n');
      let upgrading = false;
      socket.on('data', (chunk: Buffer) => {
        if (upgrading) return socket.resetAndDestroy();
        const text = chunk.toString('latin1');
        if (/^EHLO/im.test(text)) socket.write('250-front\r\n250-PIPELINING\r\n250 STARTTLS\r\n');
        if (/^STARTTLS/im.test(text)) {
          upgrading = true;
          socket.write('220 2.0.0 go ahead\r\n');
        }
      });
      return;
    }
    const upstream = net.connect(target, '127.0.0.1');
    sockets.add(upstream);
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
    socket.pipe(upstream).pipe(socket);
  });
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise<void>((resolve) => front.close(() => resolve()));
  });
  return { port: (front.address() as net.AddressInfo).port, connections: () => connections };
}

describe('a connection reset during the TLS handshake', () => {
  const cases = [
    { security: 'implicit', drop: 'at the ClientHello' },
    { security: 'starttls', drop: 'after the 220 to STARTTLS' },
  ] as const;
  for (const { security, drop } of cases) {
    it(`${security}: reset ${drop} → SMTP_CONNECTION_CLOSED, retried on a new connection, delivered`, async () => {
      const fixtures = await tlsFixtures();
      const server = await startScriptedServer({
        tls: fixtures.server,
        implicitTls: security === 'implicit',
      });
      cleanups.push(() => server.close());
      const front = await flakyFront(server.port, drop);
      const events: { type: string; error?: { code: string; retryable: boolean } }[] = [];
      const pool = createPool({
        host: 'localhost',
        address: '127.0.0.1',
        port: front.port,
        security,
        tls: { ca: fixtures.ca.cert },
        retry: { delaysMs: [20, 20], maxAttempts: 3 },
        onEvent: (event) => events.push(event as never),
      });
      cleanups.push(() => pool.close({ deadlineMs: 500 }));
      const result = await pool.send({
        from: 'a@example.test',
        to: 'b@example.test',
        message: 'Subject: x\r\n\r\nx\r\n',
      });
      expect(result.attempts).toHaveLength(2);
      expect(result.attempts[0]).toMatchObject({ error: { code: 'SMTP_CONNECTION_CLOSED', phase: 'tls' } });
      expect(front.connections()).toBe(2);
      expect(server.transactions).toHaveLength(1);
    }, 20_000);
  }

  it('a certificate failure is not retried', async () => {
    const fixtures = await tlsFixtures();
    const server = await startScriptedServer({ tls: fixtures.wrongHost, implicitTls: true });
    cleanups.push(() => server.close());
    const pool = createPool({
      host: 'localhost',
      address: '127.0.0.1',
      port: server.port,
      security: 'implicit',
      tls: { ca: fixtures.ca.cert },
      retry: { delaysMs: [20, 20], maxAttempts: 3 },
    });
    cleanups.push(() => pool.close({ deadlineMs: 500 }));
    await expect(
      pool.send({ from: 'a@example.test', to: 'b@example.test', message: 'Subject: x\r\n\r\nx\r\n' }),
    ).rejects.toMatchObject({ code: 'SMTP_TLS_FAILED', retryable: false });
    expect(server.connections).toHaveLength(1);
  });
});
