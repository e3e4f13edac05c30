/**
 * Amazon SES SMTP endpoints: host names per region (FIPS where offered), the region behind a host,
 * and the ports with their TLS mode (implicit TLS per RFC 8314 §3.3, STARTTLS per RFC 3207).
 */
import { ErrorCodes } from '../errors/codes.js';
import { invalidArgument } from '../errors/invalid-argument.js';
import { SmtpUsageError } from '../errors/smtp-error.js';

/** Regions with a FIPS SMTP endpoint (`email-smtp-fips.<region>.amazonaws.com`). */
export const SES_FIPS_REGIONS: readonly string[] = [
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
  'us-gov-west-1',
];

export type SesPortSecurity = 'implicit' | 'starttls';

/** The SES SMTP ports. 465/2465 are TLS from the first byte ("TLS Wrapper"); the rest use STARTTLS. */
export const SES_PORTS: Readonly<Record<25 | 465 | 587 | 2465 | 2587, SesPortSecurity>> = {
  25: 'starttls',
  465: 'implicit',
  587: 'starttls',
  2465: 'implicit',
  2587: 'starttls',
};

// Loose on purpose: new regions (e.g. ap-southeast-5, us-isob-east-1, eusc-de-east-1) must work without a release.
const REGION_SYNTAX = /^[a-z]{2,}(-[a-z]+)+-\d+$/;
const SES_HOST = /^email-smtp(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com$/;
// An interface VPC endpoint for the SES SMTP service (com.amazonaws.<region>.email-smtp): PrivateLink's
// endpoint-specific names, regional `vpce-<id>-<suffix>.email-smtp.<region>.vpce.amazonaws.com` and
// zonal `vpce-<id>-<suffix>-<zone>.email-smtp.<region>.vpce.amazonaws.com`. No other *.amazonaws.com.
const SES_VPC_ENDPOINT_HOST =
  /^vpce-[0-9a-f]+-[a-z0-9]+(?:-[a-z0-9-]+)?\.email-smtp\.([a-z0-9-]+)\.vpce\.amazonaws\.com$/;

export function isSesRegionSyntax(region: string): boolean {
  return REGION_SYNTAX.test(region);
}

/**
 * Throws SmtpUsageError (SMTP_INVALID_ARGUMENT, field `region`, the value not echoed) unless `region`
 * has the form of an AWS region name. Unknown but well-formed regions pass.
 */
export function checkSesRegion(region: unknown): asserts region is string {
  if (typeof region !== 'string' || !REGION_SYNTAX.test(region)) {
    throw new SmtpUsageError({
      code: ErrorCodes.INVALID_ARGUMENT,
      field: 'region',
      message: 'region must be a lower-case AWS region name: letters and dashes, then a number',
    });
  }
}

/**
 * `email-smtp.<region>.amazonaws.com`, or the FIPS host. Throws SmtpUsageError for a malformed region,
 * options that are not an object, or a `fips` that is not a boolean (never the non-FIPS host for
 * `fips: 'true'`).
 */
export function sesSmtpHost(region: string, options: { readonly fips?: boolean } = {}): string {
  checkSesRegion(region);
  if (typeof options !== 'object' || options === null) {
    throw invalidArgument('options', 'must be an object such as { fips: true }');
  }
  if (options.fips !== undefined && typeof options.fips !== 'boolean')
    throw invalidArgument('fips', 'must be a boolean');
  if (options.fips === true) {
    if (!SES_FIPS_REGIONS.includes(region)) {
      throw new SmtpUsageError({
        code: ErrorCodes.INVALID_ARGUMENT,
        field: 'fips',
        message: `SES has FIPS SMTP endpoints only in ${SES_FIPS_REGIONS.join(', ')}`,
      });
    }
    return `email-smtp-fips.${region}.amazonaws.com`;
  }
  return `email-smtp.${region}.amazonaws.com`;
}

/**
 * The region of an SES SMTP host — `email-smtp[-fips].<region>.amazonaws.com` or an interface VPC
 * endpoint's `vpce-….email-smtp.<region>.vpce.amazonaws.com` — or undefined when the host is not
 * one (case and a final dot ignored).
 */
export function regionFromHost(host: string): string | undefined {
  const normalized = host.toLowerCase().replace(/\.$/, '');
  return (SES_HOST.exec(normalized) ?? SES_VPC_ENDPOINT_HOST.exec(normalized))?.[1];
}

/** 'implicit' for 465 and 2465 (RFC 8314 submissions port convention), 'starttls' for every other port. */
export function defaultSecurityForPort(port: number): SesPortSecurity {
  return port === 465 || port === 2465 ? 'implicit' : 'starttls';
}

/** The implicit-TLS message submission port, "submissions" (RFC 8314 §3.3, §7.3). */
const SUBMISSIONS_PORT = 465;

/**
 * The TLS mode a port speaks whatever the server, when that is known: SES's table on an SES host
 * (465/2465 implicit, 25/587/2587 STARTTLS); on any host, 465 is implicit TLS. Other ports (2465
 * too: implicit TLS there is SES's own choice, not a registration) are left to the server.
 */
export function knownPortSecurity(host: string, port: number): SesPortSecurity | undefined {
  if (regionFromHost(host) !== undefined && port in SES_PORTS)
    return SES_PORTS[port as keyof typeof SES_PORTS];
  return port === SUBMISSIONS_PORT ? 'implicit' : undefined;
}
