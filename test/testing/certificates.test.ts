import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import * as tls from 'node:tls';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createTestCertificates,
  type PemPair,
  type TestCertificates,
} from '../../src/testing/certificates.js';

let certs: TestCertificates;
beforeAll(async () => {
  certs = await createTestCertificates();
});

/** Handshakes against a loopback TLS server presenting `leaf`; resolves with the client's error code or 'ok'. */
async function handshake(leaf: PemPair, host: string, servername?: string): Promise<string> {
  const server = tls.createServer({ cert: leaf.cert, key: leaf.key }, (socket) => socket.end());
  server.on('tlsClientError', () => {});
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  try {
    return await new Promise<string>((resolve) => {
      const socket = tls.connect({
        host: '127.0.0.1',
        port,
        ca: certs.ca.cert,
        ...(servername === undefined ? {} : { servername }),
        checkServerIdentity: (_name, cert) => tls.checkServerIdentity(host, cert),
      });
      socket.once('secureConnect', () => {
        socket.destroy();
        resolve('ok');
      });
      socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    });
  } finally {
    server.close();
  }
}

describe('createTestCertificates', () => {
  it('issues a CA-signed server certificate with loopback SANs', () => {
    const leaf = new X509Certificate(certs.server.cert);
    const ca = new X509Certificate(certs.ca.cert);
    expect(leaf.verify(ca.publicKey)).toBe(true);
    expect(leaf.checkIssued(ca)).toBe(true);
    expect(ca.ca).toBe(true);
    expect(leaf.ca).toBe(false);
    expect(leaf.checkHost('localhost')).toBe('localhost');
    expect(leaf.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(leaf.checkIP('::1')).toBe('::1');
    expect(certs.server.key).toMatch(/BEGIN PRIVATE KEY/);
  });

  it('the valid certificate passes full verification for localhost and 127.0.0.1', async () => {
    expect(await handshake(certs.server, 'localhost', 'localhost')).toBe('ok');
    expect(await handshake(certs.server, '127.0.0.1')).toBe('ok');
  });

  it('the expired certificate fails with CERT_HAS_EXPIRED', async () => {
    expect(await handshake(await certs.expired(), 'localhost', 'localhost')).toBe('CERT_HAS_EXPIRED');
  });

  it('the wrong-host certificate fails the identity check', async () => {
    expect(await handshake(await certs.wrongHost(), 'localhost', 'localhost')).toBe(
      'ERR_TLS_CERT_ALTNAME_INVALID',
    );
  });

  it('the untrusted certificate fails chain verification', async () => {
    const code = await handshake(await certs.untrusted(), 'localhost', 'localhost');
    expect(['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY']).toContain(code);
  });

  it('honours custom hosts', async () => {
    const custom = await createTestCertificates({ hosts: ['mail.example.test'] });
    const leaf = new X509Certificate(custom.server.cert);
    expect(leaf.checkHost('mail.example.test')).toBe('mail.example.test');
    expect(leaf.checkHost('localhost')).toBeUndefined();
  });
});
