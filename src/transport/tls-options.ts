/**
 * Builds the options handed to tls.connect, field by field, for implicit TLS (RFC 8314) and
 * STARTTLS (RFC 3207) alike: verification on, TLS 1.2 or later, SNI and identity = the configured
 * host name (threats.md §4). Caller settings are vetted, never spread (cf. Node CVE-2021-22939).
 */
import { isIP } from 'node:net';
import * as tls from 'node:tls';
import { domainToASCII } from 'node:url';
import { ErrorCodes } from '../errors/codes.js';
import { SmtpUsageError } from '../errors/smtp-error.js';
import { ownOptions } from '../session/own-options.js';

export type TlsVersion = 'TLSv1.2' | 'TLSv1.3';
export type LegacyTlsVersion = 'TLSv1' | 'TLSv1.1';
/** A PEM certificate or key: text, or its bytes. */
export type PemInput = string | Uint8Array;

export interface TlsSettings {
  /** Trusted CA certificate(s), PEM, replacing Node's bundled roots (as in tls.connect). */
  readonly ca?: PemInput | readonly PemInput[] | undefined;
  /** Client certificate (PEM), for servers that ask for one. */
  readonly cert?: PemInput | undefined;
  /** Client private key (PEM). A secret: never printed. */
  readonly key?: PemInput | undefined;
  /** Lowest TLS version accepted. Default 'TLSv1.2'; older only with `dangerouslyAllowLegacyTlsVersions`. */
  readonly minVersion?: TlsVersion | LegacyTlsVersion | undefined;
  /** The name to send as SNI and to verify the certificate against. Default: the client's `host`. */
  readonly servername?: string | undefined;
  /** Accepted as a no-op when true, so belt-and-braces configs keep working; false is refused. */
  readonly rejectUnauthorized?: true | undefined;
  /** Skip certificate chain AND host name verification. Anyone on the path can read your mail and password. */
  readonly dangerouslyAllowInvalidCertificates?: boolean | undefined;
  /** Allow `minVersion` TLSv1 / TLSv1.1, which are broken and disabled by most servers. */
  readonly dangerouslyAllowLegacyTlsVersions?: boolean | undefined;
}

const KNOWN_KEYS = new Set([
  'ca',
  'cert',
  'key',
  'minVersion',
  'servername',
  'rejectUnauthorized',
  'dangerouslyAllowInvalidCertificates',
  'dangerouslyAllowLegacyTlsVersions',
]);

function usage(field: string, message: string): SmtpUsageError {
  return new SmtpUsageError({ code: ErrorCodes.INVALID_ARGUMENT, field, message, phase: 'connect' });
}

function isPem(value: unknown): value is PemInput {
  return typeof value === 'string' || value instanceof Uint8Array;
}

function checkPem(value: unknown, field: string, allowList: boolean): void {
  if (value === undefined || isPem(value)) return;
  if (allowList && Array.isArray(value) && value.every(isPem)) return;
  throw usage(field, `${field} must be a PEM string or bytes${allowList ? ' (or an array of them)' : ''}`);
}

function checkFlag(settings: Record<string, unknown>, name: string): boolean {
  const value = settings[name];
  if (value === undefined || value === false) return false;
  if (value === true) return true;
  throw usage(`tls.${name}`, `tls.${name} must be true or false`);
}

function checkMinVersion(value: unknown, allowLegacy: boolean): TlsVersion | LegacyTlsVersion {
  if (value === undefined) return 'TLSv1.2';
  if (value === 'TLSv1.2' || value === 'TLSv1.3') return value;
  if (value === 'TLSv1' || value === 'TLSv1.1') {
    if (allowLegacy) return value;
    throw usage(
      'tls.minVersion',
      'tls.minVersion below TLSv1.2 needs tls.dangerouslyAllowLegacyTlsVersions: true',
    );
  }
  throw usage('tls.minVersion', "tls.minVersion must be 'TLSv1.2' or 'TLSv1.3'");
}

function checkServername(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '' || /[\x00-\x20\x7f]/.test(value)) {
    throw usage('tls.servername', 'tls.servername must be a host name without spaces or control characters');
  }
  return value;
}

/** Vets the caller's TLS settings; throws SmtpUsageError naming the offending key (never its value). */
export function validateTlsSettings(settings: unknown): asserts settings is TlsSettings | undefined {
  if (settings === undefined) return;
  if (settings === null || typeof settings !== 'object' || Array.isArray(settings)) {
    throw usage('tls', 'tls must be an object');
  }
  const record = ownOptions(settings);
  for (const key of Object.keys(settings)) {
    if (!KNOWN_KEYS.has(key)) {
      throw usage(`tls.${key}`, `tls.${key} is not a supported TLS setting`);
    }
  }
  if (record.rejectUnauthorized !== undefined && record.rejectUnauthorized !== true) {
    throw usage(
      'tls.rejectUnauthorized',
      'tls.rejectUnauthorized cannot be turned off; use tls.dangerouslyAllowInvalidCertificates: true if you must',
    );
  }
  checkPem(record.ca, 'tls.ca', true);
  checkPem(record.cert, 'tls.cert', false);
  checkPem(record.key, 'tls.key', false);
  if ((record.cert === undefined) !== (record.key === undefined)) {
    throw usage(
      record.cert === undefined ? 'tls.cert' : 'tls.key',
      'tls.cert and tls.key must be given together',
    );
  }
  checkMinVersion(record.minVersion, checkFlag(record, 'dangerouslyAllowLegacyTlsVersions'));
  checkFlag(record, 'dangerouslyAllowInvalidCertificates');
  checkServername(record.servername);
}

/** The host name the certificate must match: `tls.servername` when set, else the configured host. */
export function identityHost(host: string, settings: TlsSettings | undefined): string {
  return (ownOptions(settings).servername as string | undefined) ?? host;
}

/**
 * The exact options for tls.connect (without host/port/socket). Every security-relevant field is
 * set explicitly from vetted values, so nothing the caller passes can leave it undefined.
 */
export function buildTlsOptions(host: string, settings?: TlsSettings): tls.ConnectionOptions {
  validateTlsSettings(settings);
  const record = ownOptions(settings);
  const identity = asciiHost(identityHost(host, settings));
  const insecure = checkFlag(record, 'dangerouslyAllowInvalidCertificates');
  const options: tls.ConnectionOptions = {
    minVersion: checkMinVersion(record.minVersion, checkFlag(record, 'dangerouslyAllowLegacyTlsVersions')),
    rejectUnauthorized: !insecure,
    // Verify against the configured name, not whatever address was dialled (pre-resolved addresses).
    checkServerIdentity: insecure
      ? () => undefined
      : (_name, cert) => tls.checkServerIdentity(identity, cert),
  };
  // SNI must be a host name, never an IP literal (RFC 6066 §3); the identity check above still runs.
  if (isIP(identity) === 0) options.servername = identity;
  const { ca, cert, key } = record as Pick<TlsSettings, 'ca' | 'cert' | 'key'>;
  if (ca !== undefined) options.ca = Array.isArray(ca) ? ca.map(toPem) : toPem(ca as PemInput);
  if (cert !== undefined) options.cert = toPem(cert);
  if (key !== undefined) options.key = toPem(key);
  return options;
}

/**
 * The name a certificate names and SNI carries: an internationalised host in its A-label form
 * (RFC 5890; certificates hold `xn--` names, and SNI must be ASCII, RFC 6066 §3), without the
 * trailing dot of a fully qualified name. An IP address stays as it is.
 */
function asciiHost(name: string): string {
  if (isIP(name) !== 0) return name;
  const ascii = domainToASCII(name).replace(/\.$/, '');
  return ascii === '' ? name : ascii;
}

function toPem(value: PemInput): string | Buffer {
  return typeof value === 'string' ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

/** A printable view of TLS settings: PEM material and keys are never shown. */
export function describeTlsSettings(settings: TlsSettings | undefined): Record<string, unknown> | undefined {
  if (settings === undefined) return undefined;
  return describeOwn(ownOptions(settings) as TlsSettings);
}

function describeOwn(settings: TlsSettings): Record<string, unknown> {
  const view: Record<string, unknown> = {};
  if (settings.ca !== undefined) view.ca = '[pem]';
  if (settings.cert !== undefined) view.cert = '[pem]';
  if (settings.key !== undefined) view.key = '[redacted]';
  if (settings.minVersion !== undefined) view.minVersion = settings.minVersion;
  if (settings.servername !== undefined) view.servername = settings.servername;
  if (settings.dangerouslyAllowInvalidCertificates) view.dangerouslyAllowInvalidCertificates = true;
  if (settings.dangerouslyAllowLegacyTlsVersions) view.dangerouslyAllowLegacyTlsVersions = true;
  return view;
}
