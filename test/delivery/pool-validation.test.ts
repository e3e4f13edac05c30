/**
 * createPool checks its options before anything connects: the default factory's client options
 * (transport validation), the retry option, durations; a client factory that throws settles the
 * send with that error instead of throwing from send() or orphaning the send.
 */
import { describe, expect, it } from 'vitest';
import { attemptsOf } from '../../src/delivery/attempt-history.js';
import { createPool } from '../../src/delivery/pool.js';
import { SES_PROFILE } from '../../src/errors/classify.js';
import { ErrorCodes } from '../../src/errors/codes.js';
import { SmtpError, SmtpUsageError } from '../../src/errors/smtp-error.js';
import { ManualClock } from '../support/manual-clock.js';
import { errorOf, FakeServer, message, ok, SES_HOST, setup } from './pool-fakes.js';

function usageOf(run: () => unknown): SmtpUsageError {
  try {
    run();
  } catch (error) {
    if (error instanceof SmtpUsageError) return error;
    throw error;
  }
  throw new Error('expected an SmtpUsageError');
}

describe('client options with the default factory', () => {
  it.each([
    ['bogus', { bogus: 1 }],
    ['clientName', { clientName: 'a b' }],
    ['port', { port: 0 }],
    ['security', { security: 'tls' }],
  ])('a bad %s throws SmtpUsageError from createPool itself', (field, extra) => {
    const error = usageOf(() => createPool({ host: '127.0.0.1', ...(extra as object) }));
    expect(error.code).toBe(ErrorCodes.INVALID_ARGUMENT);
    expect(error.field).toBe(field);
  });

  it('an unknown key is named as not a pool or client option (a pool user may have meant either)', () => {
    const error = usageOf(() => createPool({ host: '127.0.0.1', ...({ maxConnection: 2 } as object) }));
    expect(error.message).toBe('maxConnection: is not a pool or client option');
  });

  it('good options create a pool without connecting', async () => {
    const pool = createPool({ host: '127.0.0.1', port: 2525, clientName: 'client.example.test' });
    await pool.close();
  });
});

describe('pool settings of the wrong shape', () => {
  it.each([
    ['rateLimit', null, 'rateLimit'],
    ['rateLimit', 10, 'rateLimit'],
    ['rateLimit', {}, 'rateLimit.perSecond'],
    ['rateLimit', { perSecond: 0 }, 'rateLimit.perSecond'],
    ['rateLimit', { perSecond: Number.POSITIVE_INFINITY }, 'rateLimit.perSecond'],
    ['rateLimit', { perSecond: 5, burst: -1 }, 'rateLimit.burst'],
    ['rateLimit', { perSecond: 5, unit: 'bytes' }, 'rateLimit.unit'],
    ['atLeastOnce', 'yes', 'atLeastOnce'],
    ['onEvent', 5, 'onEvent'],
    ['random', 0.5, 'random'],
    ['createClient', {}, 'createClient'],
    ['clock', { now: () => 0 }, 'clock'],
  ])('%s: %j is SMTP_INVALID_ARGUMENT naming %s', (key, value, field) => {
    const error = usageOf(() => createPool({ host: '127.0.0.1', [key]: value } as never));
    expect(error.code).toBe(ErrorCodes.INVALID_ARGUMENT);
    expect(error.field).toBe(field);
  });

  it('well-formed ones are taken', async () => {
    const pool = createPool({
      host: '127.0.0.1',
      rateLimit: { perSecond: 5, burst: 2, unit: 'messages' },
      atLeastOnce: false,
      onEvent: () => {},
      random: Math.random,
      clock: new ManualClock(0),
    });
    await pool.close();
  });
});

describe('a client factory that throws', () => {
  const boom = new SmtpUsageError({ code: ErrorCodes.INVALID_ARGUMENT, field: 'x', message: 'x: bad' });

  it('send() rejects with the SmtpError (no synchronous throw), and close() resolves', async () => {
    const clock = new ManualClock(0);
    const pool = createPool({
      host: 'mail.example.test',
      clock,
      createClient: () => {
        throw boom;
      },
    });
    let sending: Promise<unknown> | undefined;
    expect(() => {
      sending = pool.send(message(1));
    }).not.toThrow();
    const second = pool.send(message(2));
    expect(await errorOf(sending as Promise<unknown>)).toBe(boom);
    // The same error failed both: the second send gets its own copy, with its own history.
    const copy = await errorOf(second);
    expect(copy).not.toBe(boom);
    expect(copy).toBeInstanceOf(SmtpUsageError);
    expect(copy).toMatchObject({ code: boom.code, field: 'x', message: boom.message, outcome: boom.outcome });
    expect(attemptsOf(copy)).not.toBe(attemptsOf(boom));
    expect(pool.stats()).toMatchObject({ queued: 0, inFlight: 0, waitingRetry: 0, failed: 2 });
    await pool.close();
  });

  it('a non-SmtpError is wrapped as SMTP_INTERNAL_ERROR, outcome not-sent (no connection existed)', async () => {
    const thrown = new TypeError('factory bug');
    const pool = createPool({
      host: 'mail.example.test',
      clock: new ManualClock(0),
      createClient: () => {
        throw thrown;
      },
    });
    const error = await errorOf(pool.send(message(1)));
    expect(error).toBeInstanceOf(SmtpError);
    expect(error.code).toBe(ErrorCodes.INTERNAL_ERROR);
    expect(error.outcome).toBe('not-sent');
    expect(error.cause).toBe(thrown);
    await pool.close({ deadlineMs: 10 });
  });
});

describe('pool durations', () => {
  it('idleTimeoutMs 0 disables the idle close (as for the client)', async () => {
    const { pool, server, clock, events } = setup(() => ok, { maxConnections: 1, idleTimeoutMs: 0 });
    await Promise.all([pool.send(message(1)), clock.advanceAsync(0)]);
    await clock.advanceAsync(60_000);
    await Promise.all([pool.send(message(2)), clock.advanceAsync(0)]);
    expect(server.clients.map((c) => c.transactions)).toEqual([2]);
    expect(events.filter((e) => e.type === 'connection-closed')).toEqual([]);
    await pool.close();
  });

  it.each(['maxConnectionAgeMs', 'idleTimeoutMs', 'concurrencyRecoveryMs'])(
    '%s above 2^31−1 ms, Infinity, NaN or negative is SMTP_INVALID_ARGUMENT',
    (field) => {
      for (const value of [2 ** 31, Number.POSITIVE_INFINITY, Number.NaN, -1]) {
        const error = usageOf(() => setup(() => ok, { [field]: value }));
        expect(error.code).toBe(ErrorCodes.INVALID_ARGUMENT);
        expect(error.field).toBe(field);
      }
      expect(() => setup(() => ok, { [field]: 2 ** 31 - 1 })).not.toThrow();
    },
  );
});

describe("SES's 50-recipient limit", () => {
  const recipients = (n: number) => Array.from({ length: n }, (_, i) => `r${i}@example.test`);

  it('an SES pool refuses 51 recipients with SMTP_TOO_MANY_RECIPIENTS before any connection', async () => {
    const { pool, server } = setup(() => ok, { host: SES_HOST });
    const error = await errorOf(pool.send(message(1, recipients(51))));
    expect(error).toBeInstanceOf(SmtpUsageError);
    expect(error.code).toBe(ErrorCodes.TOO_MANY_RECIPIENTS);
    expect(error.field).toBe('to');
    expect(server.clients).toHaveLength(0);
    await pool.close();
  });

  it('50 go out on SES; 51 go out elsewhere (the limit is SES-only)', async () => {
    const ses = setup(() => ok, { host: SES_HOST });
    const fifty = ses.pool.send(message(1, recipients(50)));
    await ses.clock.advanceAsync(0);
    expect((await fifty).accepted).toHaveLength(50);
    const other = setup(() => ok);
    const many = other.pool.send(message(1, recipients(51)));
    await other.clock.advanceAsync(0);
    expect((await many).accepted).toHaveLength(51);
    await Promise.all([ses.pool.close(), other.pool.close()]);
  });

  it('an explicit SES_PROFILE on any host applies it too', async () => {
    const pool = createPool({
      host: 'mail.example.test',
      profile: SES_PROFILE,
      clock: new ManualClock(0),
      createClient: new FakeServer(() => ok).factory,
    });
    expect((await errorOf(pool.send(message(1, recipients(60))))).code).toBe(ErrorCodes.TOO_MANY_RECIPIENTS);
    await pool.close();
  });
});
