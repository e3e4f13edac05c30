/**
 * createClient's options: validation (every field checked before anything connects), defaults
 * (port 587, implicit TLS on 465/2465 per RFC 8314, EHLO name per RFC 5321 §4.1.4) and a printable,
 * secret-free view (threats.md §5).
 */
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { createSecureContext } from 'node:tls';
import { type ProviderProfile, SES_PROFILE } from '../errors/classify.js';
import { ErrorCodes } from '../errors/codes.js';
import { checkedProfile } from '../errors/profile-check.js';
import { SmtpUsageError } from '../errors/smtp-error.js';
import { isAddressLiteral, isDomain } from '../protocol/address.js';
import { encodeCommand } from '../protocol/command.js';
import { DEFAULT_MAX_MESSAGE_OCTETS, MAX_TIMER_MS } from '../protocol/limits.js';
import { defaultSecurityForPort, knownPortSecurity, regionFromHost } from '../ses/endpoints.js';
import { checkCredentialText } from '../session/config.js';
import { ownOptions } from '../session/own-options.js';
import { MECHANISMS, type Mechanism } from '../session/sasl.js';
import { REDACTED, Secret } from '../session/secret.js';
import { resolveTimeouts, type TimeoutOverrides, type Timeouts } from '../session/timeouts.js';
import type { Security } from '../session/types.js';
import {
  buildTlsOptions,
  describeTlsSettings,
  type TlsSettings,
  validateTlsSettings,
} from './tls-options.js';

export interface ClientCredentials {
  readonly user: string;
  /** The password (for SES: the SMTP password derived from the secret key), or an OAuth2 token for XOAUTH2. */
  readonly pass: string;
  readonly method?: Mechanism | undefined;
}

export type ClientEvent =
  | {
      readonly type: 'transcript';
      readonly direction: 'client' | 'server';
      readonly text: string;
      readonly redacted: boolean;
    }
  | { readonly type: 'connecting'; readonly host: string; readonly port: number; readonly address?: string }
  | { readonly type: 'connected'; readonly localAddress: string | undefined; readonly secure: boolean }
  | { readonly type: 'tls'; readonly protocol: string | null; readonly authorized: boolean }
  | { readonly type: 'closed'; readonly error?: { readonly code?: string; readonly message: string } };

/** Receives redacted transcript lines and connection events. Must not throw (errors are ignored). */
export type ClientLogger = (event: ClientEvent) => void;

export interface ClientOptions {
  /** The server's host name: dialled (unless `address` is set) and verified against its certificate. */
  readonly host: string;
  /** Default 587. */
  readonly port?: number | undefined;
  /** Dial this address instead of resolving `host` (e.g. a pre-resolved IP); TLS still verifies `host`. */
  readonly address?: string | undefined;
  /**
   * Default 'implicit' on ports 465 and 2465, else 'starttls' (TLS required). A mode the port cannot
   * speak is refused: anything but 'implicit' on 465 (RFC 8314 §3.3), the other mode on SES's ports.
   */
  readonly security?: Security | undefined;
  readonly tls?: TlsSettings | undefined;
  readonly auth?: ClientCredentials | undefined;
  /** EHLO name. Default: os.hostname() when it is a fully qualified domain name, else the address literal of the local socket address (RFC 5321 §4.1.4). */
  readonly clientName?: string | undefined;
  /** Largest encoded message accepted (default 10485760, the SES limit); the server's SIZE lowers it. */
  readonly maxMessageSize?: number | undefined;
  readonly timeouts?: TimeoutOverrides | undefined;
  readonly logger?: ClientLogger | undefined;
  /** Use PIPELINING when the server offers it (default true). */
  readonly pipelining?: boolean | undefined;
  /** Use CHUNKING (BDAT, RFC 3030) when the server offers it (default true). */
  readonly chunking?: boolean | undefined;
  /**
   * QUIT a connection left idle this long (ms; default 5000, 0 keeps it open): the next send opens a
   * fresh one instead of meeting a server's idle close (SES: about 10 s, `451 4.4.2 Timeout waiting
   * for data from client`).
   */
  readonly idleTimeoutMs?: number | undefined;
  /** Reply classification profile (default: SES_PROFILE for an Amazon SES host name, else GENERIC_PROFILE). */
  readonly profile?: ProviderProfile | undefined;
  /** Allow AUTH over a connection without TLS. Your password crosses the network in the clear. */
  readonly dangerouslyAllowAuthWithoutTls?: boolean | undefined;
}

/** Options after validation and defaults; credentials boxed so they never print. */
export interface ResolvedClientOptions {
  readonly host: string;
  readonly port: number;
  readonly address: string | undefined;
  readonly security: Security;
  readonly tls: TlsSettings | undefined;
  readonly auth: Secret<ClientCredentials> | undefined;
  readonly clientName: string | undefined;
  readonly maxMessageSize: number;
  readonly timeouts: Timeouts;
  readonly logger: ClientLogger | undefined;
  readonly pipelining: boolean;
  readonly chunking: boolean;
  readonly idleTimeoutMs: number;
  readonly profile: ProviderProfile | undefined;
  readonly dangerouslyAllowAuthWithoutTls: boolean;
}

const SECURITIES: ReadonlySet<unknown> = new Set(['implicit', 'starttls', 'starttls-opportunistic', 'none']);
export const DEFAULT_IDLE_TIMEOUT_MS = 5_000;
/** The keys of ClientOptions. */
export const CLIENT_OPTION_KEYS: ReadonlySet<string> = new Set([
  'host',
  'port',
  'address',
  'security',
  'tls',
  'auth',
  'clientName',
  'maxMessageSize',
  'timeouts',
  'logger',
  'pipelining',
  'chunking',
  'idleTimeoutMs',
  'profile',
  'dangerouslyAllowAuthWithoutTls',
]);

function usage(field: string, problem: string): SmtpUsageError {
  return new SmtpUsageError({
    code: ErrorCodes.INVALID_ARGUMENT,
    field,
    message: `${field}: ${problem}`,
    phase: 'connect',
  });
}

/**
 * The server's host and the EHLO name, as createClient checks them (for the CLI's `check`, which
 * dials by itself): SmtpUsageError when either could only fail later.
 */
export function checkTarget(host: unknown, clientName: unknown): void {
  checkHost(host, 'host');
  checkClientName(clientName);
}

function checkClientName(value: unknown): string | undefined {
  const clientName = checkOptional<string>(
    value,
    'clientName',
    (v) => typeof v === 'string',
    'must be a string',
  );
  if (clientName !== undefined) {
    // RFC 5321 §4.1.3: an address goes as a literal, [192.0.2.1], never bare (servers refuse it).
    if (isIP(clientName) !== 0)
      throw usage('clientName', 'is an IP address: write it as an address literal, [192.0.2.1]');
    encodeCommand({ verb: 'EHLO', domain: clientName });
  }
  return clientName;
}

function checkHost(value: unknown, field: string): string {
  // A host with a port or a scheme ('smtp.example.com:587', 'smtps://…') would only fail later as a
  // retryable ENOTFOUND: refused here, as anything that is neither an IP address nor a host name.
  // A fully qualified name may end in a dot; a U-label is let through (TLS uses its A-label form).
  if (
    typeof value !== 'string' ||
    !(isIP(value) !== 0 || (value.length <= 254 && isDomain(value.replace(/\.$/, ''), true)))
  ) {
    throw usage(field, 'must be a host name or an IP address (no port, scheme or brackets)');
  }
  return value;
}

/**
 * The client options as they are now, for a pool that creates its clients later: `auth`, `tls` and
 * `timeouts` are copied, so what the caller changes in those objects afterwards changes nothing
 * (README: a pool's credentials cannot change; `tls` is copied). Validate first.
 */
export function snapshotClientOptions<O extends Partial<ClientOptions>>(options: O): O {
  const copied: Record<string, unknown> = { ...options };
  if (options.auth !== undefined && options.auth !== null) copied.auth = Object.freeze({ ...options.auth });
  // Copied, not checked: a custom pool factory's options may carry TLS settings of its own shape.
  if (options.tls !== undefined && options.tls !== null && typeof options.tls === 'object')
    copied.tls = deepCopyTls(options.tls);
  if (options.timeouts !== undefined && options.timeouts !== null)
    copied.timeouts = Object.freeze({ ...options.timeouts });
  return Object.freeze(copied) as O;
}

/**
 * A deep copy of validated TLS settings (they are read again on every connect: what the caller
 * changes afterwards must not change them). A client certificate and key are tried together now:
 * a key that does not match, or a PEM that does not parse, is a usage error here rather than a
 * failed handshake on every connection.
 */
function copyTlsSettings(host: string, settings: TlsSettings): TlsSettings {
  const copied = deepCopyTls(settings);
  if (copied.cert !== undefined && copied.key !== undefined) {
    const { cert, key } = buildTlsOptions(host, copied);
    try {
      createSecureContext({ cert, key });
    } catch (error) {
      throw usage('tls.key', `tls.key and tls.cert cannot be used together (${errorText(error)})`);
    }
  }
  return copied;
}

/** The TLS settings with their byte arrays and lists copied (no check). */
function deepCopyTls(settings: TlsSettings): TlsSettings {
  // Uint8Array's own slice copies (a Buffer's slice would be a view of the caller's bytes).
  const copy = (value: unknown): unknown =>
    value instanceof Uint8Array
      ? Uint8Array.prototype.slice.call(value)
      : Array.isArray(value)
        ? value.map(copy)
        : value;
  // Without a prototype: what a polluted Object.prototype holds is not read back from the copy.
  const copied = ownOptions(settings);
  for (const key of Object.keys(copied)) copied[key] = copy(copied[key]);
  return Object.freeze(copied) as TlsSettings;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function checkCredentials(value: unknown): Secret<ClientCredentials> | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object')
    throw usage('auth', 'must be an object with user and pass');
  const auth = ownOptions(value) as Partial<ClientCredentials>;
  if (typeof auth.user !== 'string' || auth.user === '')
    throw usage('auth.user', 'must be a non-empty string');
  if (typeof auth.pass !== 'string' || auth.pass === '')
    throw usage('auth.pass', 'must be a non-empty string');
  checkCredentialText(auth.user, 'auth.user');
  checkCredentialText(auth.pass, 'auth.pass');
  if (auth.method !== undefined && !MECHANISMS.includes(auth.method)) {
    throw usage('auth.method', `must be one of ${MECHANISMS.join(', ')}`);
  }
  const credentials: ClientCredentials = { user: auth.user, pass: auth.pass };
  return new Secret(auth.method === undefined ? credentials : { ...credentials, method: auth.method });
}

function checkOptional<T>(
  value: unknown,
  field: string,
  ok: (v: unknown) => boolean,
  problem: string,
): T | undefined {
  if (value === undefined) return undefined;
  if (!ok(value)) throw usage(field, problem);
  return value as T;
}

function checkBoolean(value: unknown, field: string): boolean | undefined {
  return checkOptional<boolean>(value, field, (v) => typeof v === 'boolean', 'must be a boolean');
}

/**
 * The other TLS mode on a port that speaks one (knownPortSecurity) can only wait for a greeting
 * that never comes (the server waits for a ClientHello; a pool retries the timeout for an hour) or
 * fail its handshake: refused here, saying which mode or port to use.
 */
function checkPortSecurity(host: string, port: number, security: Security): void {
  const speaks = knownPortSecurity(host, port);
  if (speaks === undefined || (security === 'implicit') === (speaks === 'implicit')) return;
  if (regionFromHost(host) !== undefined) {
    throw usage(
      'security',
      speaks === 'implicit'
        ? `SES port ${port} is implicit TLS: use security 'implicit', or port 587/2587 for STARTTLS`
        : `SES port ${port} is STARTTLS: use security 'starttls', or port 465/2465 for implicit TLS`,
    );
  }
  throw usage(
    'security',
    `port ${port} is implicit TLS (RFC 8314 §3.3): use security 'implicit', or port 587 for STARTTLS`,
  );
}

/**
 * Validates everything createClient is given; throws SmtpUsageError naming the field (never its
 * value). `known`: what an unknown key is said not to be (the pool passes its own wording).
 */
export function resolveClientOptions(given: ClientOptions, known = 'a client option'): ResolvedClientOptions {
  if (given === null || typeof given !== 'object') throw usage('options', 'must be an object');
  // Only the caller's own keys: `security`, `tls` or `dangerouslyAllow…` inherited from a polluted
  // Object.prototype must not turn TLS off.
  const options = ownOptions(given) as unknown as ClientOptions;
  for (const key of Object.keys(given)) {
    if (!CLIENT_OPTION_KEYS.has(key)) throw usage(key, `is not ${known}`);
  }
  const host = checkHost(options.host, 'host');
  const port = options.port ?? 587;
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw usage('port', 'must be an integer 1-65535');
  const security = options.security ?? defaultSecurityForPort(port);
  if (!SECURITIES.has(security))
    throw usage('security', 'must be implicit, starttls, starttls-opportunistic or none');
  checkPortSecurity(host, port, security as Security);
  validateTlsSettings(options.tls);
  const clientName = checkClientName(options.clientName);
  if (security === 'none' && options.auth !== undefined && options.dangerouslyAllowAuthWithoutTls !== true) {
    // Certain to fail at every send (SMTP_AUTH_WITHOUT_TLS after connecting): said now instead.
    throw new SmtpUsageError({
      code: ErrorCodes.AUTH_WITHOUT_TLS,
      field: 'auth',
      message: "auth needs TLS: security 'none' sends no AUTH unless dangerouslyAllowAuthWithoutTls: true",
    });
  }
  // The client's ceiling; the server's SIZE can only lower it (send() refuses above it, before connecting).
  const maxMessageSize =
    checkOptional<number>(
      options.maxMessageSize,
      'maxMessageSize',
      (v) => Number.isSafeInteger(v) && (v as number) > 0,
      'must be a positive integer',
    ) ?? DEFAULT_MAX_MESSAGE_OCTETS;
  const profile = options.profile === undefined ? undefined : checkedProfile(options.profile);
  return {
    host,
    port,
    address: options.address === undefined ? undefined : checkHost(options.address, 'address'),
    security: security as Security,
    tls: options.tls === undefined ? undefined : copyTlsSettings(host, options.tls),
    auth: checkCredentials(options.auth),
    clientName,
    maxMessageSize,
    timeouts: resolveTimeouts(options.timeouts),
    logger: checkOptional(options.logger, 'logger', (v) => typeof v === 'function', 'must be a function'),
    pipelining:
      checkOptional<boolean>(
        options.pipelining,
        'pipelining',
        (v) => typeof v === 'boolean',
        'must be a boolean',
      ) ?? true,
    chunking: checkBoolean(options.chunking, 'chunking') ?? true,
    idleTimeoutMs:
      checkOptional<number>(
        options.idleTimeoutMs,
        'idleTimeoutMs',
        (v) => Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) <= MAX_TIMER_MS,
        'must be a non-negative integer number of milliseconds (0 disables)',
      ) ?? DEFAULT_IDLE_TIMEOUT_MS,
    // An SES endpoint gets SES's reply table (its 454/421/451 texts mean specific things).
    profile: profile ?? (regionFromHost(host) === undefined ? undefined : SES_PROFILE),
    dangerouslyAllowAuthWithoutTls:
      checkOptional<boolean>(
        options.dangerouslyAllowAuthWithoutTls,
        'dangerouslyAllowAuthWithoutTls',
        (v) => typeof v === 'boolean',
        'must be a boolean',
      ) ?? false,
  };
}

/**
 * The EHLO name when none is configured (RFC 5321 §4.1.4: the client's FQDN, or an address literal
 * when it has none): os.hostname() if it is a dotted domain name, else `[local IPv4]` / `[IPv6:...]`.
 */
export function defaultClientName(localAddress: string | undefined, name: string = hostname()): string {
  // A dotted-quad host name is an address, not a domain: it goes as a literal (RFC 5321 §4.1.3).
  const domain = name.includes('.') && !name.endsWith('.') && isIP(name) === 0 && isDomain(name, false);
  if (domain && name.length <= 255) return name;
  const address =
    localAddress?.startsWith('::ffff:') && isIP(localAddress.slice(7)) === 4
      ? localAddress.slice(7)
      : localAddress;
  const family = address === undefined ? 0 : isIP(address);
  if (family === 4) return `[${address}]`;
  if (family === 6) {
    const literal = `[IPv6:${address}]`;
    if (isAddressLiteral(literal)) return literal;
  }
  return '[127.0.0.1]';
}

/** A secret-free view of the options, for inspect/JSON. The user name is redacted too (an IAM key id for SES). */
export function describeClientOptions(options: ResolvedClientOptions): Record<string, unknown> {
  return {
    host: options.host,
    port: options.port,
    ...(options.address === undefined ? {} : { address: options.address }),
    security: options.security,
    ...(options.tls === undefined ? {} : { tls: describeTlsSettings(options.tls) }),
    ...(options.auth === undefined
      ? {}
      : { auth: { user: REDACTED, pass: REDACTED, ...methodOf(options.auth.reveal().method) } }),
    ...(options.clientName === undefined ? {} : { clientName: options.clientName }),
    maxMessageSize: options.maxMessageSize,
    timeouts: options.timeouts,
    pipelining: options.pipelining,
    chunking: options.chunking,
    idleTimeoutMs: options.idleTimeoutMs,
    ...(options.profile === undefined ? {} : { profile: options.profile.name }),
    ...(options.dangerouslyAllowAuthWithoutTls ? { dangerouslyAllowAuthWithoutTls: true } : {}),
  };
}

function methodOf(method: Mechanism | undefined): { method?: Mechanism } {
  return method === undefined ? {} : { method };
}
