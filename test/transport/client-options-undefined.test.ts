/**
 * An option given as `undefined` is an option not given (the types allow it under
 * exactOptionalPropertyTypes: test/types/public-api.ts): `port: env ? Number(env) : undefined`
 * gets the defaults, never a usage error or a weaker setting. A name inherited from
 * Object.prototype (`toString`) is not a timeout.
 */
import { describe, expect, it } from 'vitest';
import { createPool } from '../../src/delivery/pool.js';
import { ErrorCodes } from '../../src/errors/codes.js';
import { composeMessage } from '../../src/message/compose.js';
import { DEFAULT_TIMEOUTS, resolveTimeouts } from '../../src/session/timeouts.js';
import { resolveClientOptions } from '../../src/transport/client-options.js';
import { buildTlsOptions } from '../../src/transport/tls-options.js';

describe('undefined options are absent ones', () => {
  it('client options: the defaults', () => {
    const resolved = resolveClientOptions({
      host: 'smtp.example.com',
      port: undefined,
      security: undefined,
      auth: undefined,
      tls: { ca: undefined, servername: undefined, minVersion: undefined, rejectUnauthorized: undefined },
      timeouts: { command: undefined, greeting: 1_000 },
      clientName: undefined,
      maxMessageSize: undefined,
      logger: undefined,
      pipelining: undefined,
      chunking: undefined,
      idleTimeoutMs: undefined,
      profile: undefined,
      address: undefined,
    });
    expect(resolved).toMatchObject({ port: 587, security: 'starttls', pipelining: true, chunking: true });
    expect(resolved.timeouts).toEqual({ ...DEFAULT_TIMEOUTS, greeting: 1_000 });
    const tls = buildTlsOptions('smtp.example.com', resolved.tls);
    expect(tls).toMatchObject({
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
      servername: 'smtp.example.com',
    });
  });

  it('timeouts: undefined keeps the default; an inherited name is refused', () => {
    expect(resolveTimeouts({ dataTermination: undefined })).toEqual(DEFAULT_TIMEOUTS);
    expect(() => resolveTimeouts({ toString: 5 } as never)).toThrow(
      expect.objectContaining({ code: ErrorCodes.INVALID_ARGUMENT, field: 'timeouts.toString' }),
    );
  });

  it('pool settings and a composed message: the defaults', async () => {
    const pool = createPool({
      host: 'smtp.example.com',
      auth: { user: 'u', pass: 'p', method: undefined },
      maxConnections: undefined,
      maxMessagesPerConnection: undefined,
      retry: { maxAttempts: undefined, deadlineMs: undefined, baseMs: 500, capMs: undefined },
      rateLimit: { perSecond: 14, burst: undefined, unit: undefined },
      maxQueue: undefined,
      onEvent: undefined,
      atLeastOnce: undefined,
      onQuotaExceeded: undefined,
    });
    expect(pool.stats()).toMatchObject({ queued: 0, connections: 0 });
    await pool.close();
    const composed = composeMessage({
      from: 'a@example.com',
      to: 'b@example.org',
      cc: undefined,
      subject: undefined,
      text: 'x',
      html: undefined,
      attachments: undefined,
      headers: undefined,
    });
    expect(composed.envelope).toEqual({ from: 'a@example.com', to: ['b@example.org'] });
  });
});
