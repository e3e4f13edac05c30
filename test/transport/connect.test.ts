import { once } from 'node:events';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { PemPair } from '../../src/testing/certificates.js';
import { dial, upgrade } from '../../src/transport/connect.js';
import { buildTlsOptions, type TlsSettings } from '../../src/transport/tls-options.js';
import { type ScriptedServer, startScriptedServer } from '../support/scripted-server.js';
import { type TlsFixtures, tlsFixtures } from '../support/tls-fixtures.js';
import { closedPort, failure } from './dial-support.js';

let fixtures: TlsFixtures;
const cleanups: (() => Promise<void> | void)[] = [];
beforeAll(async () => {
  fixtures = await tlsFixtures();
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function scripted(pem: PemPair | undefined, implicitTls: boolean): Promise<ScriptedServer> {
  const server = await startScriptedServer({ ...(pem ? { tls: pem } : {}), implicitTls });
  cleanups.push(() => server.close());
  return server;
}

/** A TCP server that accepts and never says anything. */
async function silentServer(): Promise<number> {
  const sockets: net.Socket[] = [];
  const server = net.createServer((socket) => sockets.push(socket));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return (server.address() as net.AddressInfo).port;
}

/** A TCP server that resets each connection when its first bytes (a ClientHello) arrive, or closes it. */
async function droppingServer(how: 'reset' | 'close'): Promise<number> {
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    socket.once('data', () => (how === 'reset' ? socket.resetAndDestroy() : socket.end()));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as net.AddressInfo).port;
}

function implicitDial(port: number, host: string, settings: TlsSettings, extra: { address?: string } = {}) {
  return dial({
    host,
    port,
    implicitTls: true,
    tlsOptions: buildTlsOptions(host, settings),
    timeout: 2000,
    ...extra,
  });
}

function keep<T extends net.Socket>(socket: T): T {
  cleanups.push(() => void socket.destroy());
  return socket;
}

describe('dial', () => {
  it('connects over plain TCP when implicit TLS is off (Nagle: dial-socket-lifetime.test.ts)', async () => {
    const server = await scripted(undefined, false);
    const socket = keep(
      await dial({ host: '127.0.0.1', port: server.port, implicitTls: false, tlsOptions: {}, timeout: 2000 }),
    );
    expect(socket).not.toBeInstanceOf(tls.TLSSocket);
    await server.waitFor(() => server.connections.length === 1);
  });

  it('reports a refused connection as CONNECTION_FAILED with the Node code kept', async () => {
    const port = await closedPort();
    const error = await failure(
      dial({ host: '127.0.0.1', port, implicitTls: false, tlsOptions: {}, timeout: 2000 }),
    );
    expect(error).toMatchObject({ code: 'SMTP_CONNECTION_FAILED', phase: 'connect', outcome: 'not-sent' });
    expect((error.cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
  });

  it('times out a TLS handshake that never completes', async () => {
    const port = await silentServer();
    const started = Date.now();
    const error = await failure(
      dial({
        host: 'localhost',
        address: '127.0.0.1',
        port,
        implicitTls: true,
        tlsOptions: buildTlsOptions('localhost'),
        timeout: 150,
      }),
    );
    expect(error).toMatchObject({ code: 'SMTP_TIMEOUT', phase: 'connect' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('honours an AbortSignal, before and during the connection', async () => {
    const port = await silentServer();
    const before = await failure(
      dial({
        host: 'h',
        port,
        implicitTls: false,
        tlsOptions: {},
        timeout: 2000,
        signal: AbortSignal.abort(),
      }),
    );
    expect(before.code).toBe('SMTP_ABORTED');
    const controller = new AbortController();
    const pending = dial({
      host: 'localhost',
      address: '127.0.0.1',
      port,
      implicitTls: true,
      tlsOptions: buildTlsOptions('localhost'),
      timeout: 2000,
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 20);
    expect((await failure(pending)).code).toBe('SMTP_ABORTED');
  });

  it('completes implicit TLS against the test CA', async () => {
    const server = await scripted(fixtures.server, true);
    const socket = keep(
      await implicitDial(server.port, 'localhost', { ca: fixtures.ca.cert }, { address: '127.0.0.1' }),
    );
    expect(socket).toBeInstanceOf(tls.TLSSocket);
    expect((socket as tls.TLSSocket).authorized).toBe(true);
    expect(['TLSv1.2', 'TLSv1.3']).toContain((socket as tls.TLSSocket).getProtocol());
  });

  it('verifies an IP literal host against the IP SAN', async () => {
    const server = await scripted(fixtures.server, true);
    const socket = keep(await implicitDial(server.port, '127.0.0.1', { ca: fixtures.ca.cert }));
    expect((socket as tls.TLSSocket).authorized).toBe(true);
  });

  it('verifies the configured host name, not the dialled address', async () => {
    const server = await scripted(fixtures.server, true);
    const error = await failure(
      implicitDial(server.port, 'mail.example.test', { ca: fixtures.ca.cert }, { address: '127.0.0.1' }),
    );
    expect(error).toMatchObject({ code: 'SMTP_TLS_FAILED', phase: 'tls' });
    expect(error.message).toContain('does not match the host name mail.example.test');
  });

  const refusals: [string, keyof TlsFixtures, string, string][] = [
    ['untrusted CA', 'untrusted', 'not signed by a trusted CA', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'],
    ['wrong host', 'wrongHost', 'does not match the host name', 'ERR_TLS_CERT_ALTNAME_INVALID'],
    ['expired', 'expired', 'has expired', 'CERT_HAS_EXPIRED'],
  ];
  for (const [name, fixture, words, nodeCode] of refusals) {
    it(`refuses a certificate that is ${name} (implicit TLS)`, async () => {
      const server = await scripted(fixtures[fixture] as PemPair, true);
      const error = await failure(
        implicitDial(server.port, 'localhost', { ca: fixtures.ca.cert }, { address: '127.0.0.1' }),
      );
      expect(error).toMatchObject({ code: 'SMTP_TLS_FAILED', outcome: 'not-sent' });
      expect(error.message).toContain(words);
      expect((error.cause as NodeJS.ErrnoException).code).toBe(nodeCode);
    });
  }

  it('accepts a bad certificate only with dangerouslyAllowInvalidCertificates', async () => {
    const server = await scripted(fixtures.untrusted, true);
    const socket = keep(
      await implicitDial(
        server.port,
        'nowhere.test',
        { dangerouslyAllowInvalidCertificates: true },
        { address: '127.0.0.1' },
      ),
    );
    expect((socket as tls.TLSSocket).authorized).toBe(false);
  });

  // A load balancer retiring a host, a network blip: the connection is lost, TLS did not fail — worth
  // another connection (SES's advice), unlike a certificate or a port-mode error.
  for (const how of ['reset', 'close'] as const) {
    it(`reports a connection ${how === 'reset' ? 'reset' : 'closed'} during the handshake as CONNECTION_CLOSED, retryable`, async () => {
      const port = await droppingServer(how);
      const error = await failure(
        implicitDial(port, 'localhost', { ca: fixtures.ca.cert }, { address: '127.0.0.1' }),
      );
      expect(error).toMatchObject({
        code: 'SMTP_CONNECTION_CLOSED',
        phase: 'tls',
        outcome: 'not-sent',
        retryable: true,
      });
      expect(error.message).toMatch(/during the TLS handshake/);
    });
  }

  it('keeps a certificate failure non-retryable', async () => {
    const server = await scripted(fixtures.wrongHost, true);
    const error = await failure(
      implicitDial(server.port, 'localhost', { ca: fixtures.ca.cert }, { address: '127.0.0.1' }),
    );
    expect(error).toMatchObject({ code: 'SMTP_TLS_FAILED', retryable: false });
  });

  it('explains implicit TLS against a plaintext port', async () => {
    const server = await scripted(undefined, false);
    const error = await failure(
      implicitDial(server.port, 'localhost', { ca: fixtures.ca.cert }, { address: '127.0.0.1' }),
    );
    expect(error.code).toBe('SMTP_TLS_FAILED');
    expect(error.message).toMatch(/did not answer with TLS/);
  });
});

describe('upgrade (STARTTLS)', () => {
  async function plaintextToStartTls(pem: PemPair): Promise<net.Socket> {
    const server = await scripted(pem, false);
    // Not kept for cleanup: once wrapped, only the TLS socket may be destroyed (see scripted-server.ts).
    const socket = await dial({
      host: 'localhost',
      address: '127.0.0.1',
      port: server.port,
      implicitTls: false,
      tlsOptions: {},
      timeout: 2000,
    });
    let seen = '';
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString();
    };
    socket.on('data', onData);
    socket.write('EHLO client.test\r\nSTARTTLS\r\n');
    await server.waitFor(() => seen.includes('220 2.0.0'));
    socket.removeListener('data', onData);
    return socket;
  }

  it('upgrades in place and verifies the server', async () => {
    const socket = await plaintextToStartTls(fixtures.server);
    const secure = keep(
      await upgrade(socket, 'localhost', buildTlsOptions('localhost', { ca: fixtures.ca.cert }), 2000),
    );
    expect(secure.authorized).toBe(true);
  });

  it('reports a connection reset during the handshake as CONNECTION_CLOSED, retryable', async () => {
    const port = await droppingServer('reset');
    const socket = await dial({ host: '127.0.0.1', port, implicitTls: false, tlsOptions: {}, timeout: 2000 });
    const error = await failure(
      upgrade(socket, 'localhost', buildTlsOptions('localhost', { ca: fixtures.ca.cert }), 2000),
    );
    expect(error).toMatchObject({ code: 'SMTP_CONNECTION_CLOSED', phase: 'tls', retryable: true });
    expect(socket.destroyed).toBe(true);
  });

  it('a socket closed without an error mid-handshake is CONNECTION_CLOSED, retryable (not a TLS failure)', async () => {
    const port = await silentServer();
    const socket = await dial({ host: '127.0.0.1', port, implicitTls: false, tlsOptions: {}, timeout: 2000 });
    const pending = failure(
      upgrade(socket, 'localhost', buildTlsOptions('localhost', { ca: fixtures.ca.cert }), 2000),
    );
    // The handshake waits on the silent server; the connection goes away with no error to report.
    socket.destroy();
    const error = await pending;
    expect(error).toMatchObject({ code: 'SMTP_CONNECTION_CLOSED', phase: 'tls', retryable: true });
    expect(error.message).toMatch(/lost during the TLS handshake/);
  });

  it('TLS options tls.connect refuses at once (a client key that does not parse): a rejection, the socket destroyed', async () => {
    const socket = await plaintextToStartTls(fixtures.server);
    const options = {
      ...buildTlsOptions('localhost', { ca: fixtures.ca.cert }),
      cert: 'not a PEM',
      key: 'not a PEM',
    };
    const error = await failure(upgrade(socket, 'localhost', options, 2000));
    expect(error).toMatchObject({ code: 'SMTP_TLS_FAILED', phase: 'tls', retryable: false });
    expect(socket.destroyed).toBe(true);
  });

  it('fails closed with TLS_FAILED on a certificate for another host', async () => {
    const socket = await plaintextToStartTls(fixtures.wrongHost);
    const error = await failure(
      upgrade(socket, 'localhost', buildTlsOptions('localhost', { ca: fixtures.ca.cert }), 2000),
    );
    expect(error).toMatchObject({ code: 'SMTP_TLS_FAILED', phase: 'tls' });
    expect(socket.destroyed).toBe(true);
  });
});
