import { describe, expect, it } from 'vitest';
import { attemptsOf } from '../../src/delivery/attempt-history.js';
import { ErrorCodes } from '../../src/errors/codes.js';
import { flushPromises } from '../support/manual-clock.js';
import {
  errorOf,
  fail,
  message,
  ofType,
  ok,
  replyError,
  SES_HOST,
  sequence,
  setup,
  track,
} from './pool-fakes.js';

const BAD_CREDENTIALS = fail(replyError(535, 'Authentication Credentials Invalid', 'auth'));

describe('refused credentials (530/535, fix-credentials)', () => {
  it('fail the queued sends fast with the same code, without another AUTH; new sends too until resume()', async () => {
    const { pool, server, clock, events } = setup(sequence(BAD_CREDENTIALS), {
      host: SES_HOST,
      maxConnections: 1,
    });
    const sends = [1, 2, 3].map((n) => errorOf(pool.send(message(n))));
    await clock.advanceAsync(0);
    const [first, ...queued] = await Promise.all(sends);
    expect(first).toMatchObject({ code: ErrorCodes.AUTH_FAILED, origin: 'remote', outcome: 'rejected' });
    for (const error of queued) {
      expect(error).toMatchObject({
        code: ErrorCodes.AUTH_FAILED,
        origin: 'local',
        outcome: 'not-sent',
        phase: 'auth',
        reply: { code: 535 },
        retryable: false,
      });
      expect(error.cause).toBe(first);
      expect(error.message).toMatch(/resume\(\)/);
      expect(attemptsOf(error)).toEqual([]);
    }
    expect(server.calls).toHaveLength(1);
    expect((await errorOf(pool.send(message(4)))).code).toBe(ErrorCodes.AUTH_FAILED);
    expect(pool.stats()).toMatchObject({
      credentialsRefused: true,
      quotaStopped: false,
      rejected: 1,
      failed: 3,
    });
    expect(ofType(events, 'credentials-refused')).toMatchObject([{ code: ErrorCodes.AUTH_FAILED }]);
    expect(ofType(events, 'retry-scheduled')).toEqual([]);
    pool.resume();
    expect(ofType(events, 'credentials-resumed')).toHaveLength(1);
    const fifth = track(pool.send(message(5)));
    await clock.advanceAsync(0);
    expect(fifth.settled).toMatchObject([{ ok: true }]);
    expect(server.calls).toHaveLength(2);
    expect(pool.stats().credentialsRefused).toBe(false);
  });

  it('fail fast even for sends that would wait out a quota stop (waiting cannot fix credentials)', async () => {
    const { pool, server, clock } = setup(
      sequence(fail(replyError(530, 'Authentication required', 'mail'))),
      {
        host: SES_HOST,
        maxConnections: 1,
        onQuotaExceeded: 'wait',
      },
    );
    const sends = [1, 2].map((n) => errorOf(pool.send(message(n))));
    await clock.advanceAsync(0);
    expect((await Promise.all(sends)).map((e) => e.code)).toEqual([
      ErrorCodes.AUTH_REQUIRED,
      ErrorCodes.AUTH_REQUIRED,
    ]);
    expect(server.calls).toHaveLength(1);
  });

  it('a send waiting for its retry back-off fails at once too', async () => {
    const { pool, clock, server } = setup(
      sequence(fail(replyError(451, 'Temporary service failure')), BAD_CREDENTIALS),
      { host: SES_HOST, maxConnections: 2 },
    );
    const waiting = track(pool.send(message(1)));
    await clock.advanceAsync(0);
    expect(pool.stats().waitingRetry).toBe(1);
    const refused = track(pool.send(message(2)));
    await clock.advanceAsync(0);
    expect(refused.settled).toMatchObject([{ ok: false, error: { code: ErrorCodes.AUTH_FAILED } }]);
    expect(waiting.settled).toMatchObject([{ ok: false, error: { code: ErrorCodes.AUTH_FAILED } }]);
    await clock.advanceAsync(60_000);
    expect(server.calls).toHaveLength(2);
  });
});

describe('connection state of the client (connected, not closed)', () => {
  it('a client no longer connected after a message is replaced before the next send, not reconnected inside its slot', async () => {
    const { pool, server, clock, events } = setup(() => ok, { maxConnections: 1 });
    await Promise.all([pool.send(message(1)), clock.advanceAsync(0)]);
    const first = server.clients[0];
    if (!first) throw new Error('no client');
    first.connected = false; // the server closed it while idle; `closed` stays false (close() was not called)
    const second = pool.send(message(2));
    await clock.advanceAsync(0);
    const result = await second;
    expect(result.attempts.map((a) => [a.connectionId, a.error])).toEqual([['c2', undefined]]);
    expect(first.hiddenReconnects).toBe(0);
    expect(first.closeCalls).toBe(1);
    expect(ofType(events, 'connection-recycled')).toMatchObject([{ connectionId: 'c1', reason: 'stale' }]);
  });

  it('a client that has not connected yet (lazy connect) is used, not replaced', async () => {
    const { pool, server, clock } = setup(() => ok, { maxConnections: 1 });
    const sending = pool.send(message(1));
    const client = server.clients[0];
    if (!client) throw new Error('no client');
    client.connected = false;
    await clock.advanceAsync(0);
    await sending;
    expect(server.clients).toHaveLength(1);
  });
});

describe('failures that are not SmtpErrors', () => {
  it('are wrapped: outcome unknown (never retried by default), the thrown value as cause, its type named', async () => {
    const thrown = new TypeError('secret-ish detail');
    const { pool, server, clock } = setup(() => {
      throw thrown;
    });
    const sending = errorOf(pool.send(message(1)));
    await clock.advanceAsync(60_000);
    const error = await sending;
    expect(error).toMatchObject({
      code: 'SMTP_INTERNAL_ERROR',
      origin: 'local',
      outcome: 'unknown',
      retryable: false,
    });
    expect(error.cause).toBe(thrown);
    expect(error.message).toMatch(/TypeError/);
    expect(error.message).not.toMatch(/secret-ish/);
    expect(server.calls).toHaveLength(1);
  });
});

describe('close deadline during a connection swap', () => {
  it('no connection opens after the deadline dropped them all', async () => {
    const { pool, server, clock } = setup(() => ok, {
      maxConnections: 1,
      idleTimeoutMs: 5_000,
      rateLimit: { perSecond: 0.1, burst: 1 },
    });
    server.closeDelay = () => new Promise((resolve) => clock.setTimeout(resolve, 10));
    await Promise.all([pool.send(message(1)), clock.advanceAsync(0)]);
    const second = track(pool.send(message(2)));
    // Holds c1 while waiting 10 s for a token; then c1 is stale and its QUIT takes 10 ms.
    await clock.advanceAsync(10_000);
    const closing = pool.close({ deadlineMs: 5 });
    await clock.advanceAsync(100);
    await closing;
    await flushPromises();
    expect(second.settled).toMatchObject([{ ok: false, error: { code: ErrorCodes.CLIENT_CLOSED } }]);
    expect(server.clients).toHaveLength(1);
    expect(server.alive).toBe(0);
  });
});
