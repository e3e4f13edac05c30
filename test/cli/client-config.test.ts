import { describe, expect, it } from 'vitest';
import { clientOptions, profileFor, providerFor, retryFor } from '../../src/cli/client-config.js';
import type { ConnectionConfig } from '../../src/cli/connection.js';
import {
  DEFAULT_RETRY_DEADLINE_MS,
  decideRetry,
  defaultRetryOption,
  type RetryOption,
} from '../../src/delivery/retry-policy.js';
import { GENERIC_PROFILE, SES_PROFILE } from '../../src/errors/classify.js';

const transient = { outcome: 'not-sent', retryable: true, code: 'SMTP_TRANSIENT', action: 'retry' } as const;

describe('retryFor', () => {
  it('--retry-delays without --deadline stops after the default deadline (3600 s), not never', () => {
    const policy = retryFor('generic', true, undefined, [1_000]);
    expect(policy).toMatchObject({
      delaysMs: [1_000],
      repeatLast: true,
      deadlineMs: DEFAULT_RETRY_DEADLINE_MS,
    });
    const late = decideRetry(policy, {
      attempt: 500,
      elapsedMs: DEFAULT_RETRY_DEADLINE_MS,
      error: transient,
    });
    expect(late).toEqual({ retry: false, reason: 'deadline' });
  });

  it('--deadline overrides it; --no-retry disables', () => {
    expect(retryFor('ses', true, 60_000, [5])).toMatchObject({ deadlineMs: 60_000 });
    expect(retryFor('ses', true, 60_000)).toMatchObject({ cycle: true, deadlineMs: 60_000 });
    expect(retryFor('generic', false, undefined, [5])).toBe(false satisfies RetryOption);
  });
});

describe('clientOptions', () => {
  const config: ConnectionConfig = {
    host: '127.0.0.1',
    port: 2525,
    security: 'none',
    region: undefined,
    caFile: undefined,
    caPem: undefined,
    clientName: undefined,
    timeoutMs: 7_000,
    credentials: undefined,
  };

  it('--timeout bounds connect, greeting and every command reply (not the final-dot wait)', () => {
    const timeouts = clientOptions(config, 1_000).timeouts;
    expect(timeouts).toEqual({ connect: 7_000, greeting: 7_000, command: 7_000, dataStart: 7_000 });
    expect(timeouts).not.toHaveProperty('dataTermination');
  });

  it('passes --ca, the credentials, --client-name, the size limit and the -v logger on', () => {
    const logger = (): void => {};
    const options = clientOptions(
      {
        ...config,
        caPem: 'PEM',
        credentials: { user: 'u', pass: 'p' },
        clientName: 'client.example',
      },
      1_000,
      logger,
    );
    expect(options).toMatchObject({
      host: '127.0.0.1',
      port: 2525,
      security: 'none',
      tls: { ca: 'PEM' },
      auth: { user: 'u', pass: 'p' },
      clientName: 'client.example',
      maxMessageSize: 1_000,
    });
    expect(options.logger).toBe(logger);
    const bare = clientOptions(config, 1_000);
    for (const key of ['tls', 'auth', 'clientName', 'logger']) expect(bare).not.toHaveProperty(key);
  });
});

describe('provider and profile', () => {
  const at = (region: string | undefined) => ({ region }) as ConnectionConfig;

  it('--provider wins; else a region (given or read from the host) means SES', () => {
    expect(providerFor(at('eu-west-1'), undefined)).toBe('ses');
    expect(providerFor(at(undefined), undefined)).toBe('generic');
    expect(providerFor(at('eu-west-1'), 'generic')).toBe('generic');
    expect(providerFor(at(undefined), 'ses')).toBe('ses');
  });

  it("SES gets SES's reply table and retry schedule", () => {
    expect(profileFor('ses')).toBe(SES_PROFILE);
    expect(profileFor('generic')).toBe(GENERIC_PROFILE);
    expect(retryFor('ses', true, undefined)).toEqual({
      ...(defaultRetryOption('ses') as object),
      deadlineMs: DEFAULT_RETRY_DEADLINE_MS,
    });
    expect(retryFor('generic', true, undefined)).toEqual({
      ...(defaultRetryOption('generic') as object),
      deadlineMs: DEFAULT_RETRY_DEADLINE_MS,
    });
    expect(defaultRetryOption('ses')).not.toEqual(defaultRetryOption('generic'));
  });
});
