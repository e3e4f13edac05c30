/**
 * A polluted Object.prototype (a gadget elsewhere in the process) must not turn the client's safety
 * off: only the caller's own option keys count. Without that, `Object.prototype.security = 'none'`
 * sent mail in plaintext and `dangerouslyAllowInvalidCertificates = true` dropped verification for
 * every client created without those keys.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createPool } from '../../src/delivery/pool.js';
import { resolvePoolOptions } from '../../src/delivery/pool-options.js';
import { resolveClientOptions } from '../../src/transport/client-options.js';
import { buildTlsOptions, describeTlsSettings, identityHost } from '../../src/transport/tls-options.js';
import { Harness } from '../session/harness.js';

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
  'atLeastOnce',
  'retry',
  'createClient',
  'method',
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

  it('pool settings and credentials: not taken from the prototype', () => {
    polluted.atLeastOnce = true;
    polluted.retry = false;
    polluted.createClient = () => {
      throw new Error('the polluted factory was used');
    };
    polluted.method = 'LOGIN';
    const { settings } = resolvePoolOptions({ host: 'smtp.example.com' });
    expect(settings.atLeastOnce).toBe(false);
    expect(settings.retry).not.toBe(false);
    const pool = createPool({ host: 'smtp.example.com' });
    void pool.close();
    // The session picks the mechanism from what the server offers, not from the prototype.
    const h = new Harness({ security: 'implicit', auth: { user: 'u', pass: 'secret-p' } }).connect();
    h.server('250-mx\n250 AUTH PLAIN LOGIN');
    expect(h.lastWrite).toMatch(/^AUTH PLAIN /);
  });

  it("a client's description shows the TLS settings it uses, not the prototype's", () => {
    polluted.dangerouslyAllowInvalidCertificates = true;
    polluted.servername = 'evil.example';
    const resolved = resolveClientOptions({ host: 'smtp.example.com', tls: { ca: 'x' } });
    expect(describeTlsSettings(resolved.tls)).toEqual({ ca: '[pem]' });
  });
});

describe('options inherited from the caller’s own prototypes still count', () => {
  it('Object.create(defaults) and a class instance with a logger method and a host getter', () => {
    const defaults = { port: 2525, security: 'none' as const, timeouts: { command: 1_000 } };
    const fromDefaults = Object.assign(Object.create(defaults) as typeof defaults, { host: 'localhost' });
    expect(resolveClientOptions(fromDefaults)).toMatchObject({
      port: 2525,
      security: 'none',
      timeouts: { command: 1_000 },
    });
    class Options {
      get host(): string {
        return 'localhost';
      }
      logger(): void {}
    }
    const resolved = resolveClientOptions(new Options() as never);
    expect(resolved.host).toBe('localhost');
    expect(typeof resolved.logger).toBe('function');
  });

  it('the same through createPool: inherited client options and settings both count', async () => {
    const defaults = { host: 'localhost', port: 2525, security: 'none' as const, maxConnections: 2 };
    const { settings, clientOptions } = resolvePoolOptions(Object.create(defaults) as typeof defaults);
    expect(settings.maxConnections).toBe(2);
    expect(clientOptions).toMatchObject({ host: 'localhost', port: 2525, security: 'none' });
    class Options {
      get host(): string {
        return 'localhost';
      }
      helper(): void {} // not an option: left out, not refused
    }
    const pool = createPool(new Options() as never);
    await pool.close();
  });
});
