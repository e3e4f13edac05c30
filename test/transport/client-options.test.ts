import { describe, expect, it } from 'vitest';
import { GENERIC_PROFILE, SES_PROFILE } from '../../src/errors/classify.js';
import {
  defaultClientName,
  describeClientOptions,
  resolveClientOptions,
} from '../../src/transport/client-options.js';
import { tlsFixtures } from '../support/tls-fixtures.js';

describe('defaultClientName (RFC 5321 §4.1.4)', () => {
  it('uses the host name when it is a fully qualified domain name', () => {
    expect(defaultClientName('10.0.0.5', 'mail.example.test')).toBe('mail.example.test');
  });

  it('falls back to the local address literal for single-label or invalid host names', () => {
    expect(defaultClientName('10.0.0.5', 'laptop')).toBe('[10.0.0.5]');
    expect(defaultClientName('10.0.0.5', 'bad_name.local')).toBe('[10.0.0.5]');
    expect(defaultClientName('::1', 'laptop')).toBe('[IPv6:::1]');
    expect(defaultClientName('::ffff:192.0.2.7', 'laptop')).toBe('[192.0.2.7]');
    expect(defaultClientName(undefined, 'laptop')).toBe('[127.0.0.1]');
  });
});

describe('describeClientOptions', () => {
  it('redacts the user name and password, and key material', async () => {
    const { server } = await tlsFixtures(); // a certificate and its key (createClient tries them together)
    const resolved = resolveClientOptions({
      host: 'h.test',
      auth: { user: 'AKIAEXAMPLEUSER', pass: 'p4ss' },
      tls: { cert: server.cert, key: server.key },
    });
    const text = JSON.stringify(describeClientOptions(resolved));
    expect(text).not.toContain('AKIAEXAMPLEUSER');
    expect(text).not.toContain('p4ss');
    expect(text).not.toContain('PRIVATE KEY');
    expect(JSON.stringify(resolved)).not.toContain('p4ss');
  });
});

describe('reply profile', () => {
  it('is SES_PROFILE for an Amazon SES endpoint (standard or FIPS), generic elsewhere, and a given one wins', () => {
    expect(resolveClientOptions({ host: 'email-smtp.eu-west-1.amazonaws.com' }).profile).toBe(SES_PROFILE);
    expect(resolveClientOptions({ host: 'email-smtp-fips.us-east-1.amazonaws.com' }).profile).toBe(
      SES_PROFILE,
    );
    expect(resolveClientOptions({ host: 'smtp.example.test' }).profile).toBeUndefined();
    expect(
      resolveClientOptions({ host: 'email-smtp.eu-west-1.amazonaws.com', profile: GENERIC_PROFILE }).profile,
    ).toBe(GENERIC_PROFILE);
  });
});

describe("SES's ports each speak one TLS mode", () => {
  const SES = 'email-smtp.eu-west-1.amazonaws.com';

  it.each([
    [465, 'starttls'],
    [2465, 'starttls-opportunistic'],
    [465, 'none'],
    [587, 'implicit'],
    [25, 'implicit'],
    [2587, 'implicit'],
  ] as const)(
    'port %i with security %s is refused before anything connects, naming the right port',
    (port, security) => {
      expect(() => resolveClientOptions({ host: SES, port, security })).toThrow(
        expect.objectContaining({ code: 'SMTP_INVALID_ARGUMENT', field: 'security' }),
      );
    },
  );

  it('the matching modes, other ports and other hosts are left alone', () => {
    for (const [port, security] of [
      [465, 'implicit'],
      [2465, 'implicit'],
      [587, 'starttls'],
      [2587, 'starttls-opportunistic'],
      [8025, 'implicit'],
    ] as const) {
      expect(resolveClientOptions({ host: SES, port, security }).security).toBe(security);
    }
    // Another host's ports are its own, but for 465 (implicit TLS anywhere: port-security.test.ts).
    expect(
      resolveClientOptions({ host: 'smtp.example.test', port: 2465, security: 'starttls' }).security,
    ).toBe('starttls');
  });
});

describe('options that could only fail later are refused at creation', () => {
  it("security 'none' with auth (and no dangerouslyAllowAuthWithoutTls): SMTP_AUTH_WITHOUT_TLS, field auth", () => {
    expect(() =>
      resolveClientOptions({ host: 'smtp.example.test', security: 'none', auth: { user: 'u', pass: 'p' } }),
    ).toThrow(expect.objectContaining({ code: 'SMTP_AUTH_WITHOUT_TLS', field: 'auth' }));
    expect(
      resolveClientOptions({
        host: 'smtp.example.test',
        security: 'none',
        auth: { user: 'u', pass: 'p' },
        dangerouslyAllowAuthWithoutTls: true,
      }).security,
    ).toBe('none');
  });

  it('an IP address as the EHLO name must be an address literal (RFC 5321 §4.1.3)', () => {
    expect(() => resolveClientOptions({ host: 'smtp.example.test', clientName: '192.0.2.1' })).toThrow(
      expect.objectContaining({ field: 'clientName' }),
    );
    expect(resolveClientOptions({ host: 'smtp.example.test', clientName: '[192.0.2.1]' }).clientName).toBe(
      '[192.0.2.1]',
    );
    // A dotted-quad os.hostname() is not a domain either.
    expect(defaultClientName('10.0.0.5', '10.0.0.5')).toBe('[10.0.0.5]');
  });
});
