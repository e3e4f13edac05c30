import { describe, expect, it } from 'vitest';
import type { PemPair } from '../../src/testing/certificates.js';
import { causeCodes, harness, MESSAGE, rejection, verbs } from '../support/client-harness.js';
import { tlsFixtures } from '../support/tls-fixtures.js';

const envelope = { from: 'a@example.test', to: ['b@example.test'], message: MESSAGE };
const credentials = { user: 'user-AKIAEXAMPLE', pass: 'pass-SECRET' };

describe('TLS and STARTTLS against the scripted server', () => {
  it('STARTTLS happy path: upgrade, EHLO again, AUTH, deliver', async () => {
    const { server, client } = await harness({ credentials }, { auth: credentials });
    const result = await client.send(envelope);
    expect(result.accepted).toEqual(['b@example.test']);
    expect(result.messageId).toBe('scripted-0-1');
    const connection = server.connections[0]!;
    expect(verbs(server).slice(0, 4)).toEqual(['EHLO', 'STARTTLS', 'EHLO', 'AUTH']);
    expect(connection.commands.filter((c) => !c.secure).map((c) => c.verb)).toEqual(['EHLO', 'STARTTLS']);
    expect(connection.state.authenticated).toBe(true);
    expect(server.transactions[0]!.content.toString()).toBe(MESSAGE);
  });

  it('implicit TLS happy path', async () => {
    const { server, client } = await harness(
      { implicitTls: true },
      { security: 'implicit', auth: credentials },
    );
    await client.send(envelope);
    expect(server.connections[0]!.commands.every((c) => c.secure)).toBe(true);
    expect(verbs(server)).not.toContain('STARTTLS');
  });

  it('AUTH failure (535) is AUTH_FAILED and never quotes the credentials', async () => {
    const { server, client } = await harness(
      { credentials },
      { auth: { ...credentials, pass: 'wrong-SECRET' } },
    );
    const error = await rejection(client.send(envelope));
    // 5xx: retrying unchanged fails again, so 'rejected' (the classifier's rule), never 'unknown'.
    expect(error).toMatchObject({ code: 'SMTP_AUTH_FAILED', phase: 'auth', outcome: 'rejected' });
    expect(JSON.stringify(error)).not.toMatch(/AKIAEXAMPLE|SECRET/);
    expect(String(error.stack)).not.toMatch(/AKIAEXAMPLE|SECRET/);
    expect(verbs(server)).not.toContain('MAIL');
  });

  it('fails closed on STARTTLS response injection (bytes after the 220 in the same read)', async () => {
    const { server, client } = await harness({ overrides: { STARTTLS: '220 Ready\r\n250 injected' } });
    const error = await rejection(client.send(envelope));
    expect(error.code).toBe('SMTP_STARTTLS_INJECTION');
    await server.waitFor(() => server.connections[0]!.isClosed);
    // Nothing was written after STARTTLS: no plaintext, no TLS ClientHello that got an answer.
    expect(verbs(server)).toEqual(['EHLO', 'STARTTLS']);
  });

  it('fails closed when injected plaintext arrives in a later segment, after the 220', async () => {
    const { server, client } = await harness({
      overrides: {
        STARTTLS: (_line, connection) => {
          connection.write('220 Ready\r\n');
          setTimeout(() => connection.write('250-injected\r\n250 AUTH PLAIN\r\n'), 30);
          return null; // the server never starts TLS: the client's handshake meets the plaintext
        },
      },
    });
    const error = await rejection(client.send(envelope));
    expect(['SMTP_TLS_FAILED', 'SMTP_STARTTLS_INJECTION']).toContain(error.code);
    // Not a port mix-up (the client is already doing STARTTLS): no advice to change the port's mode.
    expect(error.message).not.toMatch(/is this port STARTTLS/);
    expect(verbs(server).slice(0, 2)).toEqual(['EHLO', 'STARTTLS']);
    expect(server.connections[0]!.received().toString('latin1')).not.toMatch(/AUTH|MAIL/);
  });

  it('refuses to continue when STARTTLS is not offered (stripping): no AUTH, no MAIL', async () => {
    const { server, client } = await harness(
      { capabilities: ['PIPELINING', 'AUTH PLAIN LOGIN'] },
      { auth: credentials },
    );
    const error = await rejection(client.send(envelope));
    expect(error.code).toBe('SMTP_TLS_REQUIRED');
    expect(verbs(server)).toEqual(['EHLO']);
    expect(server.connections[0]!.received().toString()).not.toContain('AUTH');
  });

  it('refuses to continue when STARTTLS is answered 454', async () => {
    const { server, client } = await harness(
      { overrides: { STARTTLS: '454 4.7.0 TLS not available' } },
      { auth: credentials },
    );
    const error = await rejection(client.send(envelope));
    expect(error).toMatchObject({ code: 'SMTP_TLS_REQUIRED', phase: 'starttls', outcome: 'not-sent' });
    expect(error.reply?.code).toBe(454);
    expect(verbs(server)).toEqual(['EHLO', 'STARTTLS']);
  });

  const badCertificates: [string, (f: Awaited<ReturnType<typeof tlsFixtures>>) => PemPair, string][] = [
    ['from an untrusted CA', (f) => f.untrusted, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'],
    ['for the wrong host name', (f) => f.wrongHost, 'ERR_TLS_CERT_ALTNAME_INVALID'],
    ['expired', (f) => f.expired, 'CERT_HAS_EXPIRED'],
  ];
  for (const [name, pick, nodeCode] of badCertificates) {
    for (const mode of ['starttls', 'implicit'] as const) {
      it(`refuses a certificate ${name} (${mode}) with TLS_FAILED and writes no AUTH`, async () => {
        const fixtures = await tlsFixtures();
        const { server, client } = await harness(
          { tls: pick(fixtures), implicitTls: mode === 'implicit' },
          { security: mode, auth: credentials },
        );
        const error = await rejection(client.send(envelope));
        expect(error.code).toBe('SMTP_TLS_FAILED');
        expect(causeCodes(error)).toContain(nodeCode);
        expect(error.message).toContain(nodeCode); // the same specific message for implicit TLS and STARTTLS
        expect(verbs(server).filter((v) => v !== 'EHLO' && v !== 'STARTTLS')).toEqual([]);
      });
    }
  }

  it('verifies the configured host, not the dialled address', async () => {
    const { client } = await harness({}, { host: 'mail.example.test' });
    const error = await rejection(client.send(envelope));
    expect(error.code).toBe('SMTP_TLS_FAILED');
    expect(causeCodes(error)).toContain('ERR_TLS_CERT_ALTNAME_INVALID');
  });

  it('connects to an untrusted server only with dangerouslyAllowInvalidCertificates', async () => {
    const fixtures = await tlsFixtures();
    const { server, client } = await harness(
      { tls: fixtures.untrusted },
      { tls: { dangerouslyAllowInvalidCertificates: true } },
    );
    await client.send(envelope);
    expect(server.transactions).toHaveLength(1);
  });
});
