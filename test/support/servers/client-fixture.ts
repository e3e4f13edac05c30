/**
 * Helpers for interop tests: a createClient wrapper that keeps the redacted transcript, and a
 * settle() that turns a send into a value so tests can assert on errors without try/catch.
 */
import { afterEach } from 'vitest';
import { SmtpError } from '../../../src/errors/smtp-error.js';
import type { SendResult } from '../../../src/session/types.js';
import { createClient, type SendOptions, type SmtpClient } from '../../../src/transport/client.js';
import type { ClientOptions } from '../../../src/transport/client-options.js';
import { LOOPBACK } from './harness.js';
import { type RunningProxy, startProxy } from './recording-proxy.js';

export interface RecordedClient {
  readonly client: SmtpClient;
  /** "C: line" / "S: line" entries as the client logged them (redacted while authenticating). */
  readonly transcript: string[];
  /** The client's command lines (first word upper-cased), e.g. ['EHLO', 'MAIL', 'RCPT', …]. */
  verbs(): string[];
}

export function recordedClient(options: ClientOptions): RecordedClient {
  const transcript: string[] = [];
  const client = createClient({
    ...options,
    logger: (event) => {
      if (event.type !== 'transcript') return;
      for (const line of event.text.split(/\r?\n/)) {
        if (line !== '') transcript.push(`${event.direction === 'client' ? 'C' : 'S'}: ${line}`);
      }
    },
  });
  return {
    client,
    transcript,
    verbs: () =>
      transcript
        .filter((line) => line.startsWith('C: '))
        .map((line) => (line.slice(3).split(/[ :]/)[0] ?? '').toUpperCase()),
  };
}

export interface InteropScope {
  /** Runs `cleanup` after the current test (all of a test's cleanups run concurrently). */
  defer(cleanup: () => Promise<unknown>): void;
  /** A plaintext loopback client with the scope's timeouts, closed after the current test. */
  clientFor(port: number, options?: Partial<ClientOptions>): RecordedClient;
  /** clientFor() through a recording proxy to `serverPort` (its writes are visible as command groups). */
  proxiedClientFor(
    serverPort: number,
    options?: Partial<ClientOptions>,
  ): Promise<RecordedClient & { readonly proxy: RunningProxy }>;
}

/** Registers an afterEach that runs the cleanups deferred during each test; call at a test file's top level. */
export function interopScope(timeouts: ClientOptions['timeouts']): InteropScope {
  const cleanups: (() => Promise<unknown>)[] = [];
  // Concurrently: a client whose server hung waits (close grace) until the server is gone.
  afterEach(async () => {
    await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
  });
  const defer = (cleanup: () => Promise<unknown>) => {
    cleanups.push(cleanup);
  };
  const clientFor = (port: number, options: Partial<ClientOptions> = {}) => {
    const recorded = recordedClient({
      host: LOOPBACK,
      port,
      security: 'none',
      clientName: 'client.example',
      ...(timeouts === undefined ? {} : { timeouts }),
      ...options,
    });
    defer(() => recorded.client.close().catch(() => undefined));
    return recorded;
  };
  const proxiedClientFor = async (serverPort: number, options: Partial<ClientOptions> = {}) => {
    const proxy = await startProxy(serverPort);
    defer(() => proxy.stop());
    return { ...clientFor(proxy.port, options), proxy };
  };
  return { defer, clientFor, proxiedClientFor };
}

export type Settled = { ok: true; result: SendResult } | { ok: false; error: SmtpError };

/** Sends and reports the result or the SmtpError (anything else is a test failure). */
export async function settle(client: SmtpClient, options: SendOptions): Promise<Settled> {
  try {
    return { ok: true, result: await client.send(options) };
  } catch (error) {
    if (error instanceof SmtpError) return { ok: false, error };
    throw error;
  }
}

/** The error of a send that must have failed. */
export function failure(settled: Settled): SmtpError {
  if (settled.ok)
    throw new Error(`expected the send to fail, it succeeded: ${JSON.stringify(settled.result)}`);
  return settled.error;
}

/** The result of a send that must have succeeded. */
export function success(settled: Settled): SendResult {
  if (!settled.ok) {
    const { error } = settled;
    throw new Error(`expected the send to succeed: ${error.code} ${error.message}`, { cause: error });
  }
  return settled.result;
}
