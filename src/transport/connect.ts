/**
 * Opens the socket: TCP (then STARTTLS, RFC 3207) or implicit TLS from the first byte (RFC 8314),
 * with a connect timeout and AbortSignal, and upgrades a plaintext socket to TLS in place.
 * Node socket and TLS errors become SmtpConnectionError / SmtpTimeoutError with Node's error as cause.
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import { ErrorCodes } from '../errors/codes.js';
import { type Phase, SmtpConnectionError, SmtpError, SmtpTimeoutError } from '../errors/smtp-error.js';

export interface DialOptions {
  /** The configured host name (used in messages; TLS identity is inside `tlsOptions`). */
  readonly host: string;
  readonly port: number;
  /** Dial this address instead of `host` (a pre-resolved address); TLS still verifies `host`. */
  readonly address?: string;
  readonly implicitTls: boolean;
  /** From buildTlsOptions(); used only when `implicitTls`. */
  readonly tlsOptions: tls.ConnectionOptions;
  /** Milliseconds until TCP (and, for implicit TLS, the handshake) must be done. */
  readonly timeout: number;
  readonly signal?: AbortSignal;
}

const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_CHAIN_TOO_LONG',
  'INVALID_CA',
]);

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Says in words why a TLS handshake failed, from Node's / OpenSSL's error code. `mode`: how TLS was
 * started; a non-TLS answer means a port mix-up only on an implicit-TLS dial (after STARTTLS's 220
 * the server itself should have switched).
 */
export function describeTlsFailure(error: unknown, host: string, mode: TlsStart): string {
  const code = errorCode(error) ?? '';
  const message = error instanceof Error ? error.message : '';
  if (UNTRUSTED.has(code)) return `the certificate of ${host} is not signed by a trusted CA (${code})`;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID')
    return `the certificate does not match the host name ${host} (${code})`;
  if (code === 'CERT_HAS_EXPIRED') return `the certificate of ${host} has expired (${code})`;
  if (code === 'CERT_NOT_YET_VALID') return `the certificate of ${host} is not yet valid (${code})`;
  if (code === 'CERT_REVOKED') return `the certificate of ${host} has been revoked (${code})`;
  if (/wrong version number|packet length too long|http request/i.test(message)) {
    return mode === 'implicit'
      ? `${host} did not answer with TLS: is this port STARTTLS (587/25/2587) rather than implicit TLS (465/2465)?`
      : `${host} did not answer with TLS after accepting STARTTLS (its 220): the server or something on the way is broken`;
  }
  if (/protocol version|unsupported protocol/i.test(message)) {
    return `${host} and this client share no TLS version (TLS 1.2 or later is required)`;
  }
  return `the TLS handshake with ${host} failed${code ? ` (${code})` : ''}`;
}

/**
 * The connection itself failed mid-handshake (the peer reset or closed it: a load balancer retiring a
 * host, a network blip). TLS did not fail, and another connection may well succeed.
 */
const CONNECTION_LOST = new Set([
  'ECONNRESET',
  'EPIPE',
  'ECONNABORTED',
  'ETIMEDOUT',
  'ENETDOWN',
  'ENETUNREACH',
  'EHOSTDOWN',
  'EHOSTUNREACH',
]);

/** The socket closed (without an error) before it was connected or its handshake was done. */
class ClosedBeforeReady extends Error {
  constructor() {
    super('socket closed before it was ready');
  }
}

/**
 * A failed handshake: SMTP_TLS_FAILED, not retryable (an untrusted or wrong certificate, the wrong
 * port mode, no common TLS version: the same next time); or, when the connection was lost during it,
 * SMTP_CONNECTION_CLOSED, retryable.
 */
/** How a TLS handshake began: on connecting (implicit TLS, RFC 8314) or after STARTTLS (RFC 3207). */
export type TlsStart = 'implicit' | 'starttls';

export function handshakeFailure(error: unknown, host: string, mode: TlsStart): SmtpConnectionError {
  const code = errorCode(error);
  if (error instanceof ClosedBeforeReady || (code !== undefined && CONNECTION_LOST.has(code)))
    return new SmtpConnectionError({
      code: ErrorCodes.CONNECTION_CLOSED,
      message: `the connection to ${host} was lost during the TLS handshake${code ? ` (${code})` : ''}`,
      phase: 'tls',
      outcome: 'not-sent',
      retryable: true,
      cause: error,
    });
  return new SmtpConnectionError({
    code: ErrorCodes.TLS_FAILED,
    message: `TLS failed: ${describeTlsFailure(error, host, mode)}`,
    phase: 'tls',
    outcome: 'not-sent',
    retryable: false,
    cause: error,
  });
}

function connectFailure(error: unknown, host: string, port: number): SmtpConnectionError {
  const code = errorCode(error);
  return new SmtpConnectionError({
    code: ErrorCodes.CONNECTION_FAILED,
    message: `could not connect to ${host}:${port}${code ? ` (${code})` : ''}`,
    phase: 'connect',
    outcome: 'not-sent',
    retryable: true,
    cause: error,
  });
}

export function abortError(signal: AbortSignal, phase: Phase): SmtpError {
  return new SmtpError({
    code: ErrorCodes.ABORTED,
    message: 'the operation was aborted',
    origin: 'local',
    outcome: 'not-sent',
    phase,
    cause: signal.reason,
  });
}

/** Waits for `ready` on `socket`; settles once, and always removes its listeners and timer. */
function settleOn<T extends net.Socket>(
  socket: T,
  ready: 'connect' | 'secureConnect',
  timeout: number,
  fail: (error: unknown) => SmtpError,
  timedOut: () => SmtpError,
  signal: AbortSignal | undefined,
  phase: Phase,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const cleanup = (): void => {
      clearTimeout(timer);
      socket.removeListener(ready, onReady);
      socket.removeListener('error', onError);
      socket.removeListener('close', onClose);
      signal?.removeEventListener('abort', onAbort);
    };
    const failWith = (error: SmtpError): void => {
      cleanup();
      socket.on('error', () => {}); // late errors from a destroyed socket must not become uncaught
      socket.destroy();
      reject(error);
    };
    const onReady = (): void => {
      cleanup();
      resolve(socket);
    };
    const onError = (error: unknown): void => failWith(fail(error));
    const onClose = (): void => failWith(fail(new ClosedBeforeReady()));
    const onAbort = (): void => failWith(abortError(signal as AbortSignal, phase));
    const timer = setTimeout(() => failWith(timedOut()), timeout);
    socket.once(ready, onReady);
    socket.once('error', onError);
    socket.once('close', onClose);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Dials the server. Resolves with a connected socket (TLS already verified when implicit). */
export function dial(options: DialOptions): Promise<net.Socket> {
  const { host, port, signal } = options;
  if (signal?.aborted) return Promise.reject(abortError(signal, 'connect'));
  const target = options.address ?? host;
  const socket = options.implicitTls
    ? tls.connect({ ...options.tlsOptions, host: target, port })
    : net.connect({ host: target, port });
  socket.setNoDelay(true);
  const timedOut = (): SmtpError =>
    new SmtpTimeoutError({
      message: `connecting to ${host}:${port} timed out after ${options.timeout} ms`,
      phase: 'connect',
      outcome: 'not-sent',
      retryable: true,
    });
  // With implicit TLS a TCP error and a handshake error both arrive as 'error': tell them apart by
  // whether TCP got connected.
  let tcpUp = !options.implicitTls;
  if (options.implicitTls) socket.once('connect', () => (tcpUp = true));
  const fail = (error: unknown): SmtpError =>
    tcpUp && options.implicitTls
      ? handshakeFailure(error, host, 'implicit')
      : connectFailure(error, host, port);
  return settleOn(
    socket,
    options.implicitTls ? 'secureConnect' : 'connect',
    options.timeout,
    fail,
    timedOut,
    signal,
    'connect',
  );
}

/**
 * Upgrades a plaintext socket to TLS in place (STARTTLS). The caller must already have stopped
 * reading plaintext from `socket` (threats.md §1): nothing read after this point is plaintext.
 */
export function upgrade(
  socket: net.Socket,
  host: string,
  tlsOptions: tls.ConnectionOptions,
  timeout: number,
  signal?: AbortSignal,
): Promise<tls.TLSSocket> {
  if (signal?.aborted) return Promise.reject(abortError(signal, 'tls'));
  let secure: tls.TLSSocket;
  try {
    secure = tls.connect({ ...tlsOptions, socket });
  } catch (error) {
    // Options tls.connect refuses at once (a key or certificate that does not parse): no handshake
    // began, and the plaintext socket (no longer read) must not be left open.
    socket.destroy();
    return Promise.reject(handshakeFailure(error, host, 'starttls'));
  }
  const timedOut = (): SmtpError =>
    new SmtpTimeoutError({
      message: `the TLS handshake with ${host} timed out after ${timeout} ms`,
      phase: 'tls',
      outcome: 'not-sent',
      retryable: true,
    });
  return settleOn(
    secure,
    'secureConnect',
    timeout,
    (error) => handshakeFailure(error, host, 'starttls'),
    timedOut,
    signal,
    'tls',
  );
}
