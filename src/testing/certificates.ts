/**
 * A throw-away certificate authority for tests and simulators: a CA, a server certificate for
 * loopback names, and the broken certificates TLS verification must refuse (threats.md §4).
 * `selfsigned` is a dev dependency, imported lazily so the client never needs it at runtime.
 */
import { isIP } from 'node:net';
import { peerDependencyMissing } from './peer-dependency.js';

/** A PEM certificate and its PEM (PKCS#8) private key. */
export interface PemPair {
  readonly cert: string;
  readonly key: string;
}

export interface IssueOptions {
  /** Subject alternative names: IP literals become iPAddress entries, the rest dNSName entries. */
  readonly hosts?: readonly string[];
  readonly notBefore?: Date;
  readonly notAfter?: Date;
}

export interface TestCertificates {
  /** The trusted test CA: pass `ca.cert` as the client's `tls.ca`. */
  readonly ca: PemPair;
  /** A valid server certificate for `hosts`, signed by `ca`. */
  readonly server: PemPair;
  readonly hosts: readonly string[];
  /** Issues another leaf certificate signed by `ca`. */
  issue(options?: IssueOptions): Promise<PemPair>;
  /** Signed by `ca` for the right names, but its validity ended yesterday. */
  expired(): Promise<PemPair>;
  /** Signed by `ca`, valid, but only for `wrong.invalid` (no loopback name or address). */
  wrongHost(): Promise<PemPair>;
  /** A valid certificate for the right names, signed by a different CA nobody trusts. */
  untrusted(): Promise<PemPair>;
}

export const DEFAULT_TEST_HOSTS: readonly string[] = ['localhost', '127.0.0.1', '::1'];

const DAY_MS = 24 * 60 * 60 * 1000;

interface SelfsignedModule {
  generate(
    attrs: { name: string; value: string }[],
    options: Record<string, unknown>,
  ): Promise<{ private: string; cert: string }>;
}

async function loadSelfsigned(): Promise<SelfsignedModule> {
  let imported: SelfsignedModule & { default?: SelfsignedModule };
  try {
    imported = (await import('selfsigned')) as unknown as SelfsignedModule & { default?: SelfsignedModule };
  } catch (error) {
    throw peerDependencyMissing('selfsigned', 'generating test certificates', error);
  }
  return typeof imported.generate === 'function' ? imported : (imported.default as SelfsignedModule);
}

function subjectAltNames(hosts: readonly string[]): { type: 2 | 7; value?: string; ip?: string }[] {
  return hosts.map((host) => (isIP(host) === 0 ? { type: 2, value: host } : { type: 7, ip: host }));
}

/** Generates a self-signed CA certificate (EC P-256: fast, and fine for tests). */
export async function createTestCa(commonName = 'smtp-machine test CA'): Promise<PemPair> {
  const selfsigned = await loadSelfsigned();
  const now = Date.now();
  const pems = await selfsigned.generate([{ name: 'commonName', value: commonName }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate: new Date(now - DAY_MS),
    notAfterDate: new Date(now + 30 * DAY_MS),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

/** Issues a TLS server certificate for `hosts`, signed by `ca`. */
export async function issueServerCertificate(ca: PemPair, options: IssueOptions = {}): Promise<PemPair> {
  const selfsigned = await loadSelfsigned();
  const hosts = options.hosts ?? DEFAULT_TEST_HOSTS;
  const now = Date.now();
  const pems = await selfsigned.generate([{ name: 'commonName', value: hosts[0] ?? 'localhost' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate: options.notBefore ?? new Date(now - DAY_MS),
    notAfterDate: options.notAfter ?? new Date(now + 30 * DAY_MS),
    ca: { key: ca.key, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: subjectAltNames(hosts) },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

/**
 * Creates a fresh test CA and a server certificate for `hosts` (default localhost, 127.0.0.1, ::1),
 * plus helpers for the certificates a client must refuse.
 */
export async function createTestCertificates(
  options: { hosts?: readonly string[] } = {},
): Promise<TestCertificates> {
  const hosts = [...(options.hosts ?? DEFAULT_TEST_HOSTS)];
  const ca = await createTestCa();
  const server = await issueServerCertificate(ca, { hosts });
  return {
    ca,
    server,
    hosts,
    issue: (issueOptions = {}) => issueServerCertificate(ca, { hosts, ...issueOptions }),
    expired: () => {
      const now = Date.now();
      return issueServerCertificate(ca, {
        hosts,
        notBefore: new Date(now - 30 * DAY_MS),
        notAfter: new Date(now - DAY_MS),
      });
    },
    wrongHost: () => issueServerCertificate(ca, { hosts: ['wrong.invalid'] }),
    untrusted: async () => issueServerCertificate(await createTestCa('smtp-machine untrusted CA'), { hosts }),
  };
}
