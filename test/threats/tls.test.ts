/**
 * threats.md §4 — TLS: certificates and host names verified by default on implicit TLS and STARTTLS
 * alike, TLS 1.2 minimum (a TLS 1.1-only server is refused), SNI = the configured host name even when
 * dialling an address, and no way to weaken verification by passing `undefined` (Node CVE-2021-22939).
 */
import { once } from 'node:events';
import * as tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import type { PemPair } from '../../src/testing/certificates.js';
import { createClient, type SmtpClient } from '../../src/transport/client.js';
import type { ClientOptions } from '../../src/transport/client-options.js';
import { buildTlsOptions, type TlsSettings } from '../../src/transport/tls-options.js';
import { causeCodes, harness, MESSAGE, rejection, verbs } from '../support/client-harness.js';
import {
  type LenientServer,
  type LenientServerOptions,
  startLenientServer,
} from '../support/lenient-server.js';
import { type TlsFixtures, tlsFixtures } from '../support/tls-fixtures.js';

const envelope = { from: 'a@example.test', to: ['b@example.test'], message: MESSAGE };
const auth = { user: 'tls-user', pass: 'tls-pass' };
type Mode = 'starttls' | 'implicit';
const MODES: readonly Mode[] = ['starttls', 'implicit'];

const opened: { server: LenientServer; client: SmtpClient }[] = [];
afterEach(async () => {
  for (const { server, client } of opened.splice(0)) {
    await server.close();
    await client.close();
  }
});

async function lenientTls(
  mode: Mode,
  pem: PemPair,
  serverTls: Partial<tls.SecureContextOptions>,
  clientOptions: Partial<ClientOptions>,
): Promise<{ server: LenientServer; client: SmtpClient }> {
  const fixtures = await tlsFixtures();
  const options: LenientServerOptions = {
    tls: { key: pem.key, cert: pem.cert, ...serverTls },
    implicitTls: mode === 'implicit',
  };
  const server = await startLenientServer(options);
  const client = createClient({
    host: 'localhost',
    address: '127.0.0.1',
    port: server.port,
    security: mode,
    tls: { ca: fixtures.ca.cert },
    timeouts: { connect: 3000, command: 3000 },
    ...clientOptions,
  });
  const made = { server, client };
  opened.push(made);
  return made;
}

const BAD: readonly (readonly [string, (f: TlsFixtures) => PemPair, string])[] = [
  ['an untrusted CA', (f) => f.untrusted, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'],
  ['a wrong host name', (f) => f.wrongHost, 'ERR_TLS_CERT_ALTNAME_INVALID'],
  ['an expired certificate', (f) => f.expired, 'CERT_HAS_EXPIRED'],
];

describe('threats §4: certificate verification, implicit TLS and STARTTLS alike', () => {
  for (const [name, pick, nodeCode] of BAD) {
    for (const mode of MODES) {
      it(`defends against ${name} (${mode}): SMTP_TLS_FAILED, no AUTH, no MAIL`, async () => {
        const fixtures = await tlsFixtures();
        const { server, client } = await harness(
          { tls: pick(fixtures), implicitTls: mode === 'implicit' },
          { security: mode, auth },
        );
        const error = await rejection(client.send(envelope));
        expect(error).toMatchObject({ code: 'SMTP_TLS_FAILED', outcome: 'not-sent', phase: 'tls' });
        expect(causeCodes(error)).toContain(nodeCode);
        expect(verbs(server)).toEqual(mode === 'starttls' ? ['EHLO', 'STARTTLS'] : []);
        expect(server.transactions).toEqual([]);
      });
    }
  }

  for (const mode of MODES) {
    it(`control (${mode}): the same server with a valid certificate delivers`, async () => {
      const { server, client } = await harness(
        { implicitTls: mode === 'implicit' },
        { security: mode, auth },
      );
      await client.send(envelope);
      expect(server.transactions).toHaveLength(1);
    });
  }
});

describe('threats §4: TLS 1.2 minimum', () => {
  // OpenSSL 3 allows TLS 1.0/1.1 only at security level 0, so the server lowers its own level.
  const tls11Only = { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' } as const;

  it('the TLS 1.1-only fixture really negotiates TLS 1.1 with a client that allows it (control)', async () => {
    const fixtures = await tlsFixtures();
    const server = await startLenientServer({
      tls: { key: fixtures.server.key, cert: fixtures.server.cert, ...tls11Only },
      implicitTls: true,
    });
    opened.push({ server, client: createClient({ host: '127.0.0.1', port: server.port }) });
    const socket = tls.connect({
      host: '127.0.0.1',
      port: server.port,
      servername: 'localhost',
      ca: fixtures.ca.cert,
      minVersion: 'TLSv1',
      ciphers: 'DEFAULT@SECLEVEL=0',
    });
    await once(socket, 'secureConnect');
    expect(socket.getProtocol()).toBe('TLSv1.1');
    socket.destroy();
  });

  for (const mode of MODES) {
    it(`defends against a TLS 1.1-only server (${mode}): SMTP_TLS_FAILED, nothing sent`, async () => {
      const fixtures = await tlsFixtures();
      const { server, client } = await lenientTls(mode, fixtures.server, tls11Only, { auth });
      const error = await rejection(client.send(envelope));
      expect(error).toMatchObject({ code: 'SMTP_TLS_FAILED', outcome: 'not-sent' });
      expect(error.message).toMatch(/TLS version|protocol/i);
      const lines = server.connections[0]?.lines.map((l) => l.line) ?? [];
      expect(lines.filter((l) => !/^(EHLO|STARTTLS)\b/.test(l))).toEqual([]);
      expect(server.transactions).toEqual([]);
    });
  }

  it('builds minVersion TLSv1.2 by default and refuses older versions without the loud opt-in', () => {
    expect(buildTlsOptions('smtp.example.test').minVersion).toBe('TLSv1.2');
    for (const minVersion of ['TLSv1', 'TLSv1.1'] as const) {
      expect(() => createClient({ host: 'smtp.example.test', tls: { minVersion } })).toThrow(
        expect.objectContaining({ code: 'SMTP_INVALID_ARGUMENT', field: 'tls.minVersion' }),
      );
    }
  });
});

describe('threats §4: SNI is the configured host name', () => {
  for (const mode of MODES) {
    it(`sends SNI "localhost" when dialling 127.0.0.1 for host localhost (${mode})`, async () => {
      const fixtures = await tlsFixtures();
      const { server, client } = await lenientTls(mode, fixtures.server, {}, {});
      await client.send(envelope);
      expect(server.connections[0]!.servername).toBe('localhost');
      expect(server.connections[0]!.protocol).toMatch(/^TLSv1\.[23]$/);
      expect(server.transactions).toHaveLength(1);
    });

    it(`sends no SNI for an IP host (RFC 6066 §3) but still verifies it against the certificate (${mode})`, async () => {
      const fixtures = await tlsFixtures();
      const { server, client } = await lenientTls(mode, fixtures.server, {}, { host: '127.0.0.1' });
      await client.send(envelope);
      expect(server.connections[0]!.servername).toBe(false);
      const wrong = await lenientTls(mode, fixtures.wrongHost, {}, { host: '127.0.0.1' });
      expect((await rejection(wrong.client.send(envelope))).code).toBe('SMTP_TLS_FAILED');
    });

    it(`uses tls.servername for SNI and identity when set (${mode})`, async () => {
      const fixtures = await tlsFixtures();
      const { server, client } = await lenientTls(
        mode,
        fixtures.server,
        {},
        { host: '127.0.0.1', tls: { ca: fixtures.ca.cert, servername: 'localhost' } },
      );
      await client.send(envelope);
      expect(server.connections[0]!.servername).toBe('localhost');
    });
  }
});

describe('threats §4: verification cannot be weakened by accident', () => {
  const undefinedSettings: readonly (readonly [string, Record<string, unknown>])[] = [
    ['rejectUnauthorized: undefined', { rejectUnauthorized: undefined }],
    [
      'every flag undefined',
      {
        rejectUnauthorized: undefined,
        dangerouslyAllowInvalidCertificates: undefined,
        dangerouslyAllowLegacyTlsVersions: undefined,
        minVersion: undefined,
        servername: undefined,
      },
    ],
    ['dangerouslyAllowInvalidCertificates: false', { dangerouslyAllowInvalidCertificates: false }],
  ];
  for (const [name, settings] of undefinedSettings) {
    for (const mode of MODES) {
      it(`defends against ${name} weakening verification (${mode}): an untrusted certificate still fails`, async () => {
        const fixtures = await tlsFixtures();
        const { client } = await lenientTls(
          mode,
          fixtures.untrusted,
          {},
          {
            tls: { ca: fixtures.ca.cert, ...settings } as TlsSettings,
          },
        );
        const error = await rejection(client.send(envelope));
        expect(error.code).toBe('SMTP_TLS_FAILED');
      });
    }

    it(`builds rejectUnauthorized: true and a host check with ${name}`, () => {
      const options = buildTlsOptions('smtp.example.test', settings as TlsSettings);
      expect(options.rejectUnauthorized).toBe(true);
      expect(options.minVersion).toBe('TLSv1.2');
      expect(options.servername).toBe('smtp.example.test');
      expect(typeof options.checkServerIdentity).toBe('function');
    });
  }

  for (const value of [false, 0, 'false', null]) {
    it(`refuses tls.rejectUnauthorized: ${JSON.stringify(value)} (the only opt-out is loudly named)`, () => {
      expect(() =>
        createClient({
          host: 'smtp.example.test',
          tls: { rejectUnauthorized: value } as unknown as TlsSettings,
        }),
      ).toThrow(expect.objectContaining({ field: 'tls.rejectUnauthorized' }));
    });
  }

  it('refuses unknown TLS keys instead of passing them to tls.connect (e.g. checkServerIdentity)', () => {
    const settings = { checkServerIdentity: () => undefined } as unknown as TlsSettings;
    expect(() => createClient({ host: 'smtp.example.test', tls: settings })).toThrow(
      expect.objectContaining({ field: 'tls.checkServerIdentity' }),
    );
  });

  it('control: the loud opt-out dangerouslyAllowInvalidCertificates does connect to the untrusted server', async () => {
    const fixtures = await tlsFixtures();
    const { server, client } = await lenientTls(
      'implicit',
      fixtures.untrusted,
      {},
      {
        tls: { dangerouslyAllowInvalidCertificates: true },
      },
    );
    await client.send(envelope);
    expect(server.transactions).toHaveLength(1);
  });
});
