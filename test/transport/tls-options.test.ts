import type * as tls from 'node:tls';
import { beforeAll, describe, expect, it } from 'vitest';
import { SmtpUsageError } from '../../src/errors/smtp-error.js';
import { issueServerCertificate } from '../../src/testing/certificates.js';
import { createClient } from '../../src/transport/client.js';
import {
  buildTlsOptions,
  describeTlsSettings,
  validateTlsSettings,
} from '../../src/transport/tls-options.js';
import { startScriptedServer } from '../support/scripted-server.js';
import { type TlsFixtures, tlsFixtures } from '../support/tls-fixtures.js';

let fixtures: TlsFixtures;
let peer: tls.PeerCertificate;
beforeAll(async () => {
  fixtures = await tlsFixtures();
  // checkServerIdentity works on the parsed peer certificate; build one from the PEM.
  const { X509Certificate } = await import('node:crypto');
  const x509 = new X509Certificate(fixtures.server.cert);
  peer = x509.toLegacyObject() as tls.PeerCertificate;
});

function usageError(run: () => unknown): SmtpUsageError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(SmtpUsageError);
    return error as SmtpUsageError;
  }
  throw new Error('expected a usage error');
}

describe('buildTlsOptions', () => {
  it('verifies by default: TLS 1.2+, rejectUnauthorized, SNI = host', () => {
    const options = buildTlsOptions('localhost');
    expect(options.minVersion).toBe('TLSv1.2');
    expect(options.rejectUnauthorized).toBe(true);
    expect(options.servername).toBe('localhost');
    expect(options.ca).toBeUndefined();
  });

  it('checks identity against the configured host, whatever name Node passes', () => {
    const good = buildTlsOptions('localhost');
    expect(good.checkServerIdentity!('10.9.9.9', peer)).toBeUndefined();
    const bad = buildTlsOptions('mail.example.test');
    expect(bad.checkServerIdentity!('localhost', peer)).toBeInstanceOf(Error);
  });

  it('sends no SNI for IP literals but still verifies the address', () => {
    for (const host of ['127.0.0.1', '::1']) {
      const options = buildTlsOptions(host);
      expect(options.servername).toBeUndefined();
      expect(options.checkServerIdentity!(host, peer)).toBeUndefined();
    }
    expect(buildTlsOptions('10.0.0.1').checkServerIdentity!('10.0.0.1', peer)).toBeInstanceOf(Error);
  });

  it('an explicit rejectUnauthorized: undefined or true weakens nothing (CVE-2021-22939)', () => {
    for (const settings of [{ rejectUnauthorized: undefined }, { rejectUnauthorized: true as const }]) {
      const options = buildTlsOptions('localhost', settings as never);
      expect(options.rejectUnauthorized).toBe(true);
      expect(options.checkServerIdentity!('x', peer)).toBeUndefined();
      expect(buildTlsOptions('other.test', settings as never).checkServerIdentity!('x', peer)).toBeInstanceOf(
        Error,
      );
    }
  });

  it('refuses rejectUnauthorized: false and points at the loud option', () => {
    const error = usageError(() => buildTlsOptions('localhost', { rejectUnauthorized: false } as never));
    expect(error.field).toBe('tls.rejectUnauthorized');
    expect(error.message).toContain('dangerouslyAllowInvalidCertificates');
  });

  it('refuses unknown keys by name without echoing values', () => {
    const error = usageError(() => buildTlsOptions('localhost', { ciphers: 'SECRET-VALUE' } as never));
    expect(error.field).toBe('tls.ciphers');
    expect(error.message).not.toContain('SECRET-VALUE');
  });

  it('keeps TLS 1.2 as the floor unless legacy versions are loudly allowed', () => {
    expect(buildTlsOptions('h.test', { minVersion: 'TLSv1.3' }).minVersion).toBe('TLSv1.3');
    expect(usageError(() => buildTlsOptions('h.test', { minVersion: 'TLSv1.1' })).field).toBe(
      'tls.minVersion',
    );
    expect(usageError(() => buildTlsOptions('h.test', { minVersion: 'SSLv3' } as never)).field).toBe(
      'tls.minVersion',
    );
    const legacy = buildTlsOptions('h.test', {
      minVersion: 'TLSv1',
      dangerouslyAllowLegacyTlsVersions: true,
    });
    expect(legacy.minVersion).toBe('TLSv1');
  });

  it('weakens verification only with dangerouslyAllowInvalidCertificates: true', () => {
    const options = buildTlsOptions('other.test', { dangerouslyAllowInvalidCertificates: true });
    expect(options.rejectUnauthorized).toBe(false);
    expect(options.checkServerIdentity!('x', peer)).toBeUndefined();
    expect(
      usageError(() => buildTlsOptions('h.test', { dangerouslyAllowInvalidCertificates: 'yes' } as never))
        .field,
    ).toBe('tls.dangerouslyAllowInvalidCertificates');
    expect(buildTlsOptions('h.test', { dangerouslyAllowInvalidCertificates: false }).rejectUnauthorized).toBe(
      true,
    );
  });

  it('uses tls.servername for SNI and identity', () => {
    const options = buildTlsOptions('127.0.0.1', { servername: 'localhost' });
    expect(options.servername).toBe('localhost');
    expect(options.checkServerIdentity!('127.0.0.1', peer)).toBeUndefined();
    expect(usageError(() => buildTlsOptions('h', { servername: 'a b' })).field).toBe('tls.servername');
  });

  it('passes CA, cert and key through, as strings or bytes', () => {
    const key = new TextEncoder().encode(fixtures.server.key);
    const options = buildTlsOptions('h.test', { ca: [fixtures.ca.cert], cert: fixtures.server.cert, key });
    expect(options.ca).toEqual([fixtures.ca.cert]);
    expect(Buffer.isBuffer(options.key)).toBe(true);
    expect(usageError(() => buildTlsOptions('h', { cert: fixtures.server.cert })).field).toBe('tls.key');
    expect(usageError(() => buildTlsOptions('h', { ca: 42 } as never)).field).toBe('tls.ca');
    expect(usageError(() => validateTlsSettings('nope')).field).toBe('tls');
  });

  it('describes settings without key material', () => {
    const view = describeTlsSettings({ ca: fixtures.ca.cert, cert: 'c', key: fixtures.server.key });
    const text = JSON.stringify(view);
    expect(text).not.toContain('PRIVATE KEY');
    expect(text).not.toContain('BEGIN CERTIFICATE');
    expect(view).toMatchObject({ key: '[redacted]' });
  });
});

describe('an internationalised host name (RFC 5890 A-labels, RFC 6066 §3)', () => {
  it('is verified and sent as SNI in its ASCII form, without a trailing dot', async () => {
    const f = await tlsFixtures();
    const server = await startScriptedServer({
      tls: await issueServerCertificate(f.ca, { hosts: ['smtp.xn--bcher-kva.example'] }),
    });
    try {
      for (const host of ['smtp.bücher.example', 'smtp.bücher.example.']) {
        const client = createClient({
          host,
          address: '127.0.0.1',
          port: server.port,
          tls: { ca: f.ca.cert },
        });
        const outcome = await client
          .send({ from: 'a@example.test', to: ['b@example.test'], message: 'Subject: x\r\n\r\nx\r\n' })
          .then(
            () => 'delivered',
            (e: { code: string }) => e.code,
          );
        await client.close();
        expect(outcome).toBe('delivered');
      }
      expect(buildTlsOptions('smtp.bücher.example.').servername).toBe('smtp.xn--bcher-kva.example');
    } finally {
      await server.close();
    }
  });
});
