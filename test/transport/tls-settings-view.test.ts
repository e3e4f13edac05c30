import { describe, expect, it } from 'vitest';
import { describeTlsSettings } from '../../src/transport/tls-options.js';

// What toJSON and logs show of the TLS settings: every setting that changes security is visible
// (the dangerous flags above all), key material never is.
describe('describeTlsSettings: the printable view', () => {
  it('shows the dangerous flags, the version floor and the name, and hides PEM material', () => {
    expect(
      describeTlsSettings({
        ca: 'ca-pem',
        cert: 'cert-pem',
        key: 'key-pem',
        minVersion: 'TLSv1',
        servername: 'smtp.example',
        dangerouslyAllowInvalidCertificates: true,
        dangerouslyAllowLegacyTlsVersions: true,
      }),
    ).toEqual({
      ca: '[pem]',
      cert: '[pem]',
      key: '[redacted]',
      minVersion: 'TLSv1',
      servername: 'smtp.example',
      dangerouslyAllowInvalidCertificates: true,
      dangerouslyAllowLegacyTlsVersions: true,
    });
  });

  it('leaves out what was not set, and flags set to false', () => {
    expect(describeTlsSettings(undefined)).toBeUndefined();
    expect(describeTlsSettings({})).toEqual({});
    expect(
      describeTlsSettings({
        dangerouslyAllowInvalidCertificates: false,
        dangerouslyAllowLegacyTlsVersions: false,
      }),
    ).toEqual({});
  });
});
