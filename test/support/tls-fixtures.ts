/**
 * TLS fixtures shared by a test file: one test CA per process (generation costs a few ms, but
 * certificates are reused across tests) and the broken certificates verification must refuse.
 */
import {
  createTestCertificates,
  type PemPair,
  type TestCertificates,
} from '../../src/testing/certificates.js';

export interface TlsFixtures {
  readonly certificates: TestCertificates;
  readonly ca: PemPair;
  readonly server: PemPair;
  readonly expired: PemPair;
  readonly wrongHost: PemPair;
  readonly untrusted: PemPair;
}

let fixtures: Promise<TlsFixtures> | undefined;

async function build(): Promise<TlsFixtures> {
  const certificates = await createTestCertificates();
  const [expired, wrongHost, untrusted] = await Promise.all([
    certificates.expired(),
    certificates.wrongHost(),
    certificates.untrusted(),
  ]);
  return { certificates, ca: certificates.ca, server: certificates.server, expired, wrongHost, untrusted };
}

/** The process-wide TLS fixtures (created on first use). */
export function tlsFixtures(): Promise<TlsFixtures> {
  fixtures ??= build();
  return fixtures;
}
