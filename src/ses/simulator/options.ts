/**
 * Options of the local SES simulator and their defaults (SES's documented limits where SES has
 * one; no quota at all where a default would only get in the way of tests).
 */
import type { PemPair } from '../../testing/certificates.js';
import { SES_MAX_RECIPIENTS } from '../recipients.js';

export interface SesSimulatorCredential {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export interface SesSimulatorOptions {
  /** Region named in 554 texts and used to derive the SMTP passwords. Default 'us-east-1'. */
  readonly region?: string | undefined;
  /** AUTH user = access key id, pass = deriveSesSmtpPassword(secret, region). Default: one generated pair. */
  readonly credentials?: readonly SesSimulatorCredential[] | undefined;
  /** Also accept legacy V2 passwords (base64(0x02 || …)). Default false. */
  readonly acceptV2Passwords?: boolean | undefined;
  /** Default true: unverified senders and recipients are refused; mailbox simulator recipients pass. */
  readonly sandbox?: boolean | undefined;
  /**
   * Verified addresses and domains (a domain covers its subdomains). Omitted: nothing is verified
   * in the sandbox, and every sender counts as verified outside it.
   */
  readonly verifiedIdentities?: readonly string[] | undefined;
  /** Recipients per second; over → `454 Throttling failure: Maximum sending rate exceeded`. Default: none. */
  readonly maxSendRate?: number | undefined;
  /** Recipients per rolling 24 h; over → `454 Throttling failure: Daily message quota exceeded`. Default: none. */
  readonly dailyQuota?: number | undefined;
  /**
   * Concurrent sessions over both ports (counted as each is greeted, so a burst is cut at the cap);
   * over → `421 Too many concurrent SMTP connections`. Default: none.
   */
  readonly maxConnections?: number | undefined;
  /** Octets of message data; over → `552 Message is too long.` at the final dot. Default 10,485,760. */
  readonly maxMessageSize?: number | undefined;
  /** Inactivity before `451 4.4.2 Timeout waiting for data from client` and a close. Default 10,000 ms. */
  readonly idleTimeoutMs?: number | undefined;
  /** Accepted messages per connection; the next MAIL gets a 421 and a close. Default: none. */
  readonly maxMessagesPerSession?: number | undefined;
  /** Default 50 → `554 Transaction failed: Recipient count exceeds 50.` at the final dot. */
  readonly maxRecipients?: number | undefined;
  /** When set, each accepted message is written as `<id>.eml` (the directory is created). */
  readonly mailDir?: string | undefined;
  /** Time source (ms) for quotas, message ids and `receivedAt`. Default Date.now. */
  readonly clock?: (() => number) | undefined;
  /** Default 0 (any free port) on 127.0.0.1. */
  readonly starttlsPort?: number | undefined;
  readonly tlsPort?: number | undefined;
  /**
   * TLS material; default: a fresh test CA and server certificate from createTestCertificates()
   * (exported by 'smtp-machine/ses-simulator').
   */
  readonly certificates?: { readonly ca: PemPair; readonly server: PemPair } | undefined;
  /**
   * Called for each server-side error the simulator survives (a client closing before its TLS
   * handshake, a reset mid-transaction); they are also counted in `stats.errors`.
   */
  readonly onError?: ((error: Error, listener: 'starttls' | 'tls') => void) | undefined;
}

export interface ResolvedSesSimulatorOptions {
  readonly region: string;
  readonly credentials: readonly SesSimulatorCredential[];
  readonly acceptV2Passwords: boolean;
  readonly sandbox: boolean;
  readonly verifiedIdentities: readonly string[] | undefined;
  readonly maxSendRate: number | undefined;
  readonly dailyQuota: number | undefined;
  readonly maxConnections: number | undefined;
  readonly maxMessageSize: number;
  readonly idleTimeoutMs: number;
  readonly maxMessagesPerSession: number | undefined;
  readonly maxRecipients: number;
  readonly mailDir: string | undefined;
  readonly clock: () => number;
  readonly starttlsPort: number;
  readonly tlsPort: number;
}

export const SES_MAX_MESSAGE_SIZE = 10_485_760; // SES reply table: "552 Message is too long." above 10 MB
export const SES_IDLE_TIMEOUT_MS = 10_000; // SES "Test your connection": closes after ~10 s idle

export function resolveSimulatorOptions(
  options: SesSimulatorOptions,
  defaultCredential: () => SesSimulatorCredential,
): ResolvedSesSimulatorOptions {
  return {
    region: options.region ?? 'us-east-1',
    credentials: options.credentials ?? [defaultCredential()],
    acceptV2Passwords: options.acceptV2Passwords ?? false,
    sandbox: options.sandbox ?? true,
    verifiedIdentities: options.verifiedIdentities,
    maxSendRate: options.maxSendRate,
    dailyQuota: options.dailyQuota,
    maxConnections: options.maxConnections,
    maxMessageSize: options.maxMessageSize ?? SES_MAX_MESSAGE_SIZE,
    idleTimeoutMs: options.idleTimeoutMs ?? SES_IDLE_TIMEOUT_MS,
    maxMessagesPerSession: options.maxMessagesPerSession,
    maxRecipients: options.maxRecipients ?? SES_MAX_RECIPIENTS,
    mailDir: options.mailDir,
    clock: options.clock ?? Date.now,
    starttlsPort: options.starttlsPort ?? 0,
    tlsPort: options.tlsPort ?? 0,
  };
}
