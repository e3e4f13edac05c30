/**
 * A polluted Object.prototype (a gadget elsewhere in the process) must not turn the client's safety
 * off: only the caller's own option keys count. Without that, `Object.prototype.security = 'none'`
 * sent mail in plaintext and `dangerouslyAllowInvalidCertificates = true` dropped verification for
 * every client created without those keys.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { resolveClientOptions } from '../../src/transport/client-options.js';
import { buildTlsOptions, identityHost } from '../../src/transport/tls-options.js';

const polluted = Object.prototype as Record<string, unknown>;
const KEYS = [
  'security',
  'dangerouslyAllowAuthWithoutTls',
  'dangerouslyAllowInvalidCertificates',
  'dangerouslyAllowLegacyTlsVersions',
  'minVersion',
  'servername',
  'ca',
  'tls',
] as const;

afterEach(() => {
  for (const key of KEYS) delete polluted[key];
});

describe('options read only their own keys', () => {
  it('TLS settings: verification, version, name and CAs stay as given', () => {
    polluted.dangerouslyAllowInvalidCertificates = true;
    polluted.dangerouslyAllowLegacyTlsVersions = true;
    polluted.minVersion = 'TLSv1';
    polluted.servername = 'evil.example';
    polluted.ca = 'not a CA';
    for (const [settings, ca] of [
      [undefined, undefined],
      [{}, undefined],
      [{ ca: 'x' }, 'x'],
    ] as const) {
      const options = buildTlsOptions('smtp.example.com', settings);
      expect(options.rejectUnauthorized).toBe(true);
      expect(options.minVersion).toBe('TLSv1.2');
      expect(options.servername).toBe('smtp.example.com');
      // Own keys: what Node itself then reads from a polluted prototype is beyond a library's reach.
      expect(Object.hasOwn(options, 'ca') ? options.ca : undefined).toBe(ca);
      expect(identityHost('smtp.example.com', settings)).toBe('smtp.example.com');
    }
  });

  it('client options: STARTTLS stays required, TLS settings absent', () => {
    polluted.security = 'none';
    polluted.dangerouslyAllowAuthWithoutTls = true;
    polluted.tls = { dangerouslyAllowInvalidCertificates: true };
    const resolved = resolveClientOptions({
      host: 'smtp.example.com',
      port: 587,
      auth: { user: 'u', pass: 'p' },
    });
    expect(resolved.security).toBe('starttls');
    expect(resolved.tls).toBeUndefined();
    expect(resolved.dangerouslyAllowAuthWithoutTls).toBe(false);
  });
});
