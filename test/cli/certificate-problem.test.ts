/**
 * One predicate tells a certificate failure from a TLS-mode or network one, for `check` (Node's error
 * code) and for `send` (the code or OpenSSL's words quoted in an SmtpError's message).
 */
import { describe, expect, it } from 'vitest';
import { isCertificateError, isCertificateProblem } from '../../src/cli/commands/tls-mode.js';

describe('isCertificateProblem', () => {
  it.each([
    'CERT_HAS_EXPIRED',
    'SELF_SIGNED_CERT_IN_CHAIN',
    'DEPTH_ZERO_SELF_SIGNED_CERT',
    'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
    'ERR_TLS_CERT_ALTNAME_INVALID',
    'TLS handshake failed: unable to verify the first certificate',
    'TLS handshake failed: self-signed certificate in certificate chain',
    "Hostname/IP does not match certificate's altnames",
    'the server certificate is not signed by a trusted CA',
    // Lower-case forms the send-side predicate took before the two were joined.
    'self_signed in chain',
    'err_tls_cert_altname_invalid',
    'altname mismatch',
  ])('%s is a certificate problem', (text) => {
    expect(isCertificateProblem(text)).toBe(true);
  });

  it.each([
    'ERR_SSL_WRONG_VERSION_NUMBER',
    'ECONNRESET',
    'TLS handshake failed: wrong version number',
    'Client network socket disconnected before secure TLS connection was established',
    '',
  ])('%s is not', (text) => {
    expect(isCertificateProblem(text)).toBe(false);
  });

  it("check's probes are judged by the error's code, not its message", () => {
    const error = Object.assign(new Error('unable to verify the first certificate'), {
      code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    });
    expect(isCertificateError(error)).toBe(true);
    expect(isCertificateError(Object.assign(new Error('certificate'), { code: 'ECONNRESET' }))).toBe(false);
    expect(isCertificateError(new Error('certificate'))).toBe(false);
  });
});
