import { describe, expect, it } from 'vitest';
import { clientOptions, retryFor } from '../../src/cli/client-config.js';
import type { ConnectionConfig } from '../../src/cli/connection.js';
import { DEFAULT_RETRY_DEADLINE_MS, decideRetry, type RetryOption } from '../../src/delivery/retry-policy.js';

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
});
