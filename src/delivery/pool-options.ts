/**
 * Pool configuration: the client seam (any factory returning send()/close()), the pool's own
 * settings with their defaults, and validation. SES endpoints get the SES reply profile by default;
 * the SES profile (default, given, or extended by the caller's) brings SES's retry schedule (SES
 * troubleshooting page); other profiles the generic back-off (RFC 5321 §4.5.4.1).
 */
import { GENERIC_PROFILE, type ProviderProfile, SES_PROFILE, speaksSes } from '../errors/classify.js';
import { ErrorCodes } from '../errors/codes.js';
import { checkedProfile } from '../errors/profile-check.js';
import { type RecipientRefusal, SmtpUsageError } from '../errors/smtp-error.js';
import { MAX_TIMER_MS } from '../protocol/limits.js';
import type { Reply } from '../protocol/reply-types.js';
import { regionFromHost } from '../ses/endpoints.js';
import { ownOptions } from '../session/own-options.js';
import { CLIENT_OPTION_KEYS } from '../transport/client-options.js';
import type { MessageInput } from '../transport/message-source.js';
import { type Clock, systemClock } from './clock.js';
import type { PoolEvent } from './pool-events.js';
import { resolveRetryOption } from './retry-option.js';
import type { RetryOption, RetrySetting } from './retry-policy.js';

export interface ClientSendRequest {
  readonly from: string;
  readonly to: readonly string[];
  readonly message: MessageInput;
  readonly binary?: boolean | undefined;
  readonly signal?: AbortSignal;
}

export interface ClientSendResult {
  readonly messageId?: string;
  readonly accepted: readonly string[];
  readonly rejected: readonly RecipientRefusal[];
  readonly reply: Reply;
}

/** What the pool needs from one connection (undici-style seam: tests inject fakes). */
export interface ClientLike {
  send(request: ClientSendRequest): Promise<ClientSendResult>;
  /** Graceful end (QUIT). */
  close(): Promise<void>;
  /** Immediate end, used after a close() deadline; close() is used when absent. */
  destroy?(): void;
  /** When present and true, close() or destroy() was called: the pool replaces the client. */
  readonly closed?: boolean;
  /**
   * When present: whether the client holds an open connection now. A client that has sent before
   * and is no longer connected lost its connection while idle (server idle close, load balancer):
   * the pool replaces it rather than let it reconnect inside an old slot's message count and age.
   */
  readonly connected?: boolean | undefined;
  /**
   * When present and true: the client pipelines (RFC 2920), so sends it holds at once ride behind
   * one another on its connection. When every connection is in use, the pool gives such a client up
   * to three sends at a time (connection-slot.ts); any other client gets one at a time. Report it
   * only while a connection is up and pipelining (as createClient does): a send given to a client
   * whose first one is still connecting counts as on a reused connection. A send that fails
   * 'not-sent' after the failure of a send handed over before it ended the connection goes again at
   * once on a new connection, as a free reconnect (`maxReconnects`).
   */
  readonly pipelining?: boolean | undefined;
}

/** The client options the pool itself reads. */
export interface PoolClientOptions {
  readonly host?: string | undefined;
  readonly profile?: ProviderProfile | undefined;
}

export interface RateLimitOption {
  readonly perSecond: number;
  readonly burst?: number | undefined;
  /** SES counts recipients (default); 'messages' takes one token per transaction. */
  readonly unit?: 'messages' | 'recipients' | undefined;
}

export type QuotaPolicy = 'fail' | 'wait';

export interface PoolSettings<O> {
  readonly maxConnections?: number | undefined;
  readonly maxMessagesPerConnection?: number | undefined;
  readonly maxConnectionAgeMs?: number | undefined;
  /**
   * Below SES's ~10 s idle close, so the pool, not the server, ends idle connections; 0 keeps them
   * open (as for createClient). Pooled clients run with their own idle close off: the pool's rules.
   */
  readonly idleTimeoutMs?: number | undefined;
  /** Sends waiting (for a connection or a retry) beyond which send() fails with SMTP_QUEUE_FULL. */
  readonly maxQueue?: number | undefined;
  /**
   * Default: SES schedule with the SES profile (an SES host's default, `profile: SES_PROFILE`, or a
   * profile extending it), generic exponential back-off otherwise; false = never.
   * A partial object is completed from that default (retry-option.ts): `{ maxAttempts: 5 }` is the
   * default schedule with 5 attempts; a missing deadlineMs is one hour.
   */
  readonly retry?: RetrySetting | undefined;
  /** Retry 'unknown' outcomes (lost final reply): duplicates become possible (result.mayDuplicate). */
  readonly atLeastOnce?: boolean | undefined;
  /** Free immediate retries on a fresh connection per send (421 session cap, 451 idle, dead socket). */
  readonly maxReconnects?: number | undefined;
  readonly rateLimit?: RateLimitOption | undefined;
  /** Default for sends that meet a daily-quota stop: fail fast (default) or wait for resume(). */
  readonly onQuotaExceeded?: QuotaPolicy | undefined;
  /** After a 421 too-many-connections, one connection comes back per this many ms of success. */
  readonly concurrencyRecoveryMs?: number | undefined;
  readonly onEvent?: ((event: PoolEvent) => void) | undefined;
  readonly clock?: Clock | undefined;
  /** Jitter source in [0, 1) for back-off. */
  readonly random?: (() => number) | undefined;
  readonly createClient?: ((options: O) => ClientLike) | undefined;
}

export type PoolOptions<O extends PoolClientOptions> = O & PoolSettings<O>;

export interface ResolvedPoolSettings {
  readonly maxConnections: number;
  readonly maxMessagesPerConnection: number;
  readonly maxConnectionAgeMs: number;
  readonly idleTimeoutMs: number;
  readonly maxQueue: number;
  readonly retry: RetryOption;
  readonly atLeastOnce: boolean;
  readonly maxReconnects: number | undefined;
  readonly rateLimit: RateLimitOption | undefined;
  readonly onQuotaExceeded: QuotaPolicy;
  readonly concurrencyRecoveryMs: number;
  readonly onEvent: ((event: PoolEvent) => void) | undefined;
  readonly clock: Clock;
  readonly random: () => number;
  readonly profile: ProviderProfile;
}

export const POOL_DEFAULTS = Object.freeze({
  maxConnections: 5,
  maxMessagesPerConnection: 100,
  maxConnectionAgeMs: 5 * 60_000,
  idleTimeoutMs: 5_000,
  maxQueue: 10_000,
  concurrencyRecoveryMs: 30_000,
});

const POOL_KEYS = [
  'maxConnections',
  'maxMessagesPerConnection',
  'maxConnectionAgeMs',
  'idleTimeoutMs',
  'maxQueue',
  'retry',
  'atLeastOnce',
  'maxReconnects',
  'rateLimit',
  'onQuotaExceeded',
  'concurrencyRecoveryMs',
  'onEvent',
  'clock',
  'random',
  'createClient',
] as const;

/** Splits pool settings from client options and fills in defaults. Throws SmtpUsageError. */
export function resolvePoolOptions<O extends PoolClientOptions>(
  given: PoolOptions<O>,
): {
  settings: ResolvedPoolSettings;
  clientOptions: O;
  /** A custom client factory, read like the settings (not one a polluted Object.prototype holds). */
  createClient: PoolSettings<O>['createClient'];
} {
  if (given === null || typeof given !== 'object') throw usage('options', 'must be an object');
  // Settings read without Object.prototype's keys: a polluted `atLeastOnce` or `retry` is not one.
  const options = ownOptions(given) as PoolOptions<O>;
  // The client's options: the caller's own keys (a custom factory's too), and client options it
  // inherits from its own prototypes (Object.create(defaults), a class's getters), as createClient
  // takes them; not a class's other methods, which the client would refuse as unknown keys.
  const clientOptions: Record<string, unknown> = {};
  for (const key of Object.keys(given)) clientOptions[key] = (options as Record<string, unknown>)[key];
  for (const key of CLIENT_OPTION_KEYS)
    if (!Object.hasOwn(clientOptions, key) && key in options)
      clientOptions[key] = (options as Record<string, unknown>)[key];
  for (const key of POOL_KEYS) delete clientOptions[key];
  const sesHost = typeof options.host === 'string' && regionFromHost(options.host) !== undefined;
  // The profile says whose rules apply: SES_PROFILE (an SES host's default, or given for the
  // simulator, a proxy, a tunnel), or one extending it, brings SES's retry schedule and its
  // 50-recipient check (pool.ts; speaksSes).
  const profile = profileOption(options.profile, sesHost);
  const settings: ResolvedPoolSettings = {
    maxConnections: integer(options.maxConnections, POOL_DEFAULTS.maxConnections, 1, 'maxConnections'),
    maxMessagesPerConnection: integer(
      options.maxMessagesPerConnection,
      POOL_DEFAULTS.maxMessagesPerConnection,
      1,
      'maxMessagesPerConnection',
    ),
    maxConnectionAgeMs: duration(
      options.maxConnectionAgeMs,
      POOL_DEFAULTS.maxConnectionAgeMs,
      'maxConnectionAgeMs',
    ),
    idleTimeoutMs: duration(options.idleTimeoutMs, POOL_DEFAULTS.idleTimeoutMs, 'idleTimeoutMs'),
    maxQueue: integer(options.maxQueue, POOL_DEFAULTS.maxQueue, 0, 'maxQueue'),
    retry: resolveRetryOption(options.retry, speaksSes(profile) ? 'ses' : 'generic'),
    atLeastOnce: optional(options.atLeastOnce, 'boolean', 'atLeastOnce') === true,
    maxReconnects:
      options.maxReconnects === undefined ? undefined : integer(options.maxReconnects, 0, 0, 'maxReconnects'),
    rateLimit: rateLimitOption(options.rateLimit),
    onQuotaExceeded: quotaPolicy(options.onQuotaExceeded ?? 'fail', 'onQuotaExceeded'),
    concurrencyRecoveryMs: duration(
      options.concurrencyRecoveryMs,
      POOL_DEFAULTS.concurrencyRecoveryMs,
      'concurrencyRecoveryMs',
    ),
    onEvent: optional(options.onEvent, 'function', 'onEvent'),
    clock: clockOption(options.clock),
    random: optional(options.random, 'function', 'random') ?? Math.random,
    profile,
  };
  optional(options.createClient, 'function', 'createClient');
  return { settings, clientOptions: clientOptions as O, createClient: options.createClient };
}

/** `value` when undefined or of `type`; else the option is refused by name. */
function optional<T>(value: T, type: 'boolean' | 'function', field: string): T {
  if (value !== undefined && typeof value !== type) throw usage(field, `must be a ${type}`);
  return value;
}

/**
 * The given profile, checked and taken as it is now (a frozen copy) here for every factory (the pool
 * classifies with it too, and a custom factory's options are otherwise not read), or SES's for an SES
 * host, else the generic one.
 */
function profileOption(value: unknown, ses: boolean): ProviderProfile {
  if (value === undefined) return ses ? SES_PROFILE : GENERIC_PROFILE;
  return checkedProfile(value);
}

function rateLimitOption(value: RateLimitOption | undefined): RateLimitOption | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw usage('rateLimit', 'must be an object');
  }
  const unknown = Object.keys(value).find((key) => !['perSecond', 'burst', 'unit'].includes(key));
  if (unknown !== undefined) throw usage(`rateLimit.${unknown}`, 'is not a rateLimit option');
  const positive = (n: unknown) => typeof n === 'number' && Number.isFinite(n) && n > 0;
  if (!positive(value.perSecond)) throw usage('rateLimit.perSecond', 'must be a positive number');
  if (value.burst !== undefined && !positive(value.burst)) {
    throw usage('rateLimit.burst', 'must be a positive number');
  }
  if (value.unit !== undefined && value.unit !== 'messages' && value.unit !== 'recipients') {
    throw usage('rateLimit.unit', "must be 'messages' or 'recipients'");
  }
  return { ...value };
}

function clockOption(value: Clock | undefined): Clock {
  if (value === undefined) return systemClock;
  const shaped =
    typeof value === 'object' &&
    value !== null &&
    typeof value.now === 'function' &&
    typeof value.setTimeout === 'function' &&
    typeof value.clearTimeout === 'function';
  if (!shaped) throw usage('clock', 'must have now(), setTimeout() and clearTimeout()');
  return value;
}

export function quotaPolicy(value: unknown, field: string): QuotaPolicy {
  if (value !== 'fail' && value !== 'wait') throw usage(field, "must be 'fail' or 'wait'");
  return value;
}

function integer(value: number | undefined, fallback: number, min: number, field: string): number {
  const n = value ?? fallback;
  if (!(Number.isInteger(n) && n >= min)) throw usage(field, `must be an integer, at least ${min}`);
  return n;
}

function duration(value: number | undefined, fallback: number, field: string): number {
  const n = value ?? fallback;
  if (!(typeof n === 'number' && n >= 0 && n <= MAX_TIMER_MS)) {
    throw usage(field, `must be a number of milliseconds from 0 to ${MAX_TIMER_MS}`);
  }
  return n;
}

function usage(field: string, rule: string): SmtpUsageError {
  return new SmtpUsageError({
    code: ErrorCodes.INVALID_ARGUMENT,
    field,
    message: `Pool option "${field}" ${rule}`,
  });
}
