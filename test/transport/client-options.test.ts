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
