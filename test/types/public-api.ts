/**
 * Compile-time check (npm run typecheck) that the types public signatures name are exported from
 * the package entry, so a consumer can name them (and emit declarations that use them: TS2883).
 */
import type {
  ClientCredentials,
  ClientOptions,
  ComposeOptions,
  Credentials,
  HmacMd5,
  PoolClientOptions,
  PoolSendRequest,
  PoolSettings,
  SessionClock,
  SessionOptions,
  TlsSettings,
} from '../../src/index.js';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

export const publicTypes: [
  Equal<SessionOptions['auth'], Credentials | undefined>,
  Equal<SessionOptions['hmacMd5'], HmacMd5 | undefined>,
  Equal<SessionOptions['clock'], SessionClock | undefined>,
  // The constraint of createPool's client options (what a custom factory's options must have).
  Equal<keyof PoolClientOptions, 'host' | 'profile'>,
  // exactOptionalPropertyTypes: `rejectUnauthorized: undefined` is allowed, as the README says.
  Equal<TlsSettings['rejectUnauthorized'], true | undefined>,
  Equal<ClientOptions['auth'], ClientCredentials | undefined>,
] = [true, true, true, true, true, true];

// The pool's `retry` takes what the README lists, without casts: limits alone, a partial back-off.
export const retrySettings: NonNullable<PoolSettings<PoolClientOptions>['retry']>[] = [
  { maxAttempts: 3 },
  { deadlineMs: 60_000 },
  { baseMs: 500 },
  { baseMs: 500, factor: 3, capMs: 10_000, maxAttempts: 4 },
  { delaysMs: [1_000], cycle: true },
  false,
  () => undefined,
];

// exactOptionalPropertyTypes: an option may be written as `undefined` (the runtime takes it as
// absent: client-options-undefined.test.ts), so `port: env ? Number(env) : undefined` needs no spread.
const maybe = <T>(value: T): T | undefined => value;
export const explicitUndefined = {
  client: {
    host: 'smtp.example.com',
    port: maybe(587),
    security: maybe('starttls' as const),
    auth: maybe({ user: 'u', pass: 'p', method: maybe('PLAIN' as const) }),
    tls: { ca: maybe('PEM'), servername: maybe('smtp.example.com'), minVersion: maybe('TLSv1.3' as const) },
    timeouts: { command: maybe(1_000) },
    logger: maybe(() => undefined),
  } satisfies ClientOptions,
  pool: {
    maxConnections: maybe(2),
    retry: maybe({ maxAttempts: maybe(3), deadlineMs: maybe(60_000), baseMs: 500, capMs: maybe(10_000) }),
    rateLimit: maybe({ perSecond: 14, burst: maybe(14) }),
  } satisfies PoolSettings<PoolClientOptions>,
  send: {
    from: 'a@example.com',
    to: 'b@example.org',
    message: 'x',
    binary: maybe(false),
    signal: maybe(new AbortController().signal),
  } satisfies PoolSendRequest,
  compose: {
    from: 'a@example.com',
    to: 'b@example.org',
    subject: maybe('s'),
    text: maybe('t'),
    html: maybe('<p>t</p>'),
  } satisfies ComposeOptions,
};
