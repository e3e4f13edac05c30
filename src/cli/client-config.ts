/**
 * Turns the CLI's connection settings into createClient options, the reply profile (SES when the
 * host or region says so) and the retry policy (the delivery layer's schedule, bounded by --deadline).
 */

import { DEFAULT_RETRY_DEADLINE_MS, defaultRetryOption, type RetryOption } from '../delivery/retry-policy.js';
import { GENERIC_PROFILE, type ProviderProfile, SES_PROFILE } from '../errors/classify.js';
import type { ClientLogger, ClientOptions } from '../transport/client-options.js';
import type { ConnectionConfig } from './connection.js';

export function clientOptions(
  config: ConnectionConfig,
  maxMessageSize: number,
  logger?: ClientLogger,
): ClientOptions {
  return {
    host: config.host,
    port: config.port,
    security: config.security,
    ...(config.caPem === undefined ? {} : { tls: { ca: config.caPem } }),
    ...(config.credentials === undefined ? {} : { auth: config.credentials }),
    ...(config.clientName === undefined ? {} : { clientName: config.clientName }),
    maxMessageSize,
    // --timeout bounds every reply wait but the one after the final dot, which RFC 5321 §4.5.3.2.6
    // sets at 10 minutes because the server may be processing the message then.
    timeouts: {
      connect: config.timeoutMs,
      greeting: config.timeoutMs,
      command: config.timeoutMs,
      dataStart: config.timeoutMs,
    },
    ...(logger === undefined ? {} : { logger }),
  };
}

export type Provider = 'ses' | 'generic';

export function providerFor(config: ConnectionConfig, flag: Provider | undefined): Provider {
  return flag ?? (config.region !== undefined ? 'ses' : 'generic');
}

export function profileFor(provider: Provider): ProviderProfile {
  return provider === 'ses' ? SES_PROFILE : GENERIC_PROFILE;
}

/**
 * The provider's retry schedule, or `delaysMs` with its last wait repeated; `deadlineMs` (default
 * one hour, as --help says) caps how long retries may go on; `false` disables.
 */
export function retryFor(
  provider: Provider,
  enabled: boolean,
  deadlineMs: number | undefined,
  delaysMs?: readonly number[],
): RetryOption {
  if (!enabled) return false;
  const base = delaysMs === undefined ? defaultRetryOption(provider) : { delaysMs, repeatLast: true };
  return { ...base, deadlineMs: deadlineMs ?? DEFAULT_RETRY_DEADLINE_MS };
}
