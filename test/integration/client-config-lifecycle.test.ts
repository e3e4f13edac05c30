/**
 * The client's configuration and lifecycle edges (second review): a client key that does not match
 * its certificate is refused when the client is created (it failed at the STARTTLS handshake as a
 * retryable loss and leaked the plaintext socket); close() waits for a QUIT the idle timer sent; the
 * TLS settings are copied deeply; a host with a port or a scheme is a usage error, not a retryable
 * ENOTFOUND.
 */
import { describe, expect, it } from 'vitest';
import { SmtpUsageError } from '../../src/errors/smtp-error.js';
import { createClient } from '../../src/transport/client.js';
import { resolveClientOptions } from '../../src/transport/client-options.js';
import { harness, MESSAGE } from '../support/client-harness.js';
import { startScriptedServer } from '../support/scripted-server.js';
import { tlsFixtures } from '../support/tls-fixtures.js';

const envelope = { from: 'a@example.test', to: ['b@example.test'], message: MESSAGE };

describe('client configuration and lifecycle', () => {
  it('a client key that does not match its certificate is refused by createClient, naming tls.key', async () => {
    const f = await tlsFixtures();
    let error: unknown;
    try {
      createClient({ host: 'localhost', tls: { ca: f.ca.cert, cert: f.server.cert, key: f.ca.key } });
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(SmtpUsageError);
    expect(error).toMatchObject({ code: 'SMTP_INVALID_ARGUMENT', field: 'tls.key' });
  });

  it('close() waits for the QUIT the idle timer sent (the server never answers it)', async () => {
    const { server, client } = await harness(
      { overrides: { QUIT: null } },
      { idleTimeoutMs: 50, timeouts: { command: 1000 } },
    );
    await client.send(envelope);
    await server.waitFor(() => server.connections[0]!.commands.some((c) => c.verb === 'QUIT'));
    await client.close(); // resolves once that connection ended (here: its QUIT timed out, 1 s)
    await server.waitFor(() => server.connections[0]!.isClosed, 100);
  });

  // A deep copy: an array and the bytes of a Buffer, both changed in place afterwards.
  it.each([
    [
      'a tls.ca array',
      (pem: string): unknown => [pem],
      (ca: unknown): void => {
        (ca as unknown[])[0] = 42;
      },
    ],
    [
      'a Buffer tls.ca',
      (pem: string): unknown => Buffer.from(pem),
      (ca: unknown): void => {
        (ca as Buffer).fill(0x41);
      },
    ],
  ] as const)('%s changed after createClient changes nothing', async (_name, make, change) => {
    const f = await tlsFixtures();
    const server = await startScriptedServer({ tls: f.server });
    const ca = make(f.ca.cert);
    const client = createClient({
      host: 'localhost',
      address: '127.0.0.1',
      port: server.port,
      tls: { ca: ca as string[] | Buffer },
    });
    change(ca);
    const outcome = await client.send(envelope).then(
      () => 'delivered',
      (e: { code: string }) => e.code,
    );
    await client.close();
    await server.close();
    expect(outcome).toBe('delivered');
  });

  it.each(['smtp.example.com:587', 'smtps://smtp.example.com', '[127.0.0.1]', 'a..b', 'exa mple.com'])(
    'host %j is a usage error naming host',
    (host) => {
      expect(() => resolveClientOptions({ host })).toThrow(expect.objectContaining({ field: 'host' }));
    },
  );

  it.each([
    'smtp.example.com',
    'email-smtp.us-east-1.amazonaws.com',
    'localhost',
    '127.0.0.1',
    '::1',
    'mx.example.com.',
  ])('host %j is taken', (host) => {
    expect(() => resolveClientOptions({ host })).not.toThrow();
  });
});
