import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors/codes.js';
import {
  type Call,
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

const TOO_MANY = (): ReturnType<typeof fail> =>
  fail(replyError(421, 'Too many concurrent SMTP connections', 'greeting'));

describe('421 too many concurrent connections', () => {
  /** A server that admits at most `limit` connections at once and answers 421 to the others. */
  function admitting(limit: number) {
    const admitted = new Set<number>();
    let gone: (id: number) => boolean = () => false;
    const script = (call: Call) => {
      for (const id of [...admitted]) if (gone(id)) admitted.delete(id);
      if (admitted.has(call.clientId)) return ok;
      if (admitted.size >= limit) return TOO_MANY();
      admitted.add(call.clientId);
      return ok;
    };
    return { script, setGone: (fn: (id: number) => boolean) => (gone = fn) };
  }

  it('lowers the concurrency below what was open, retries per schedule, and delivers everything', async () => {
    const server = admitting(2);
    const { pool, clock, events, server: fake } = setup(server.script, { host: SES_HOST, maxConnections: 4 });
    server.setGone((id) => fake.clients[id - 1]?.gone === true);
    const sends = [1, 2, 3, 4, 5, 6, 7, 8].map((n) => track(pool.send(message(n))));
    await clock.advanceAsync(0);
    expect(ofType(events, 'concurrency-changed').map((e) => [e.previous, e.concurrency, e.reason])).toEqual([
      [4, 3, 'too-many-connections'],
      [3, 2, 'too-many-connections'],
    ]);
    expect(ofType(events, 'retry-scheduled').map((e) => [e.cause, e.delayMs])).toEqual([
      ['reduce-connections', 5_000],
      ['reduce-connections', 5_000],
    ]);
    await clock.advanceAsync(5_000);
    expect(sends.every((s) => s.settled.length === 1 && s.settled[0]?.ok)).toBe(true);
    expect(fake.peakAlive).toBeLessThanOrEqual(4);
    expect(pool.stats()).toMatchObject({ concurrency: 2, delivered: 8 });
    expect(pool.stats().retriesByCause['reduce-connections']).toBe(2);
  });

  it('wins one connection back per recovery period of successes', async () => {
    const { pool, clock, events } = setup(sequence(TOO_MANY()), {
      host: SES_HOST,
      maxConnections: 3,
      concurrencyRecoveryMs: 30_000,
    });
    await Promise.all([pool.send(message(1)), clock.advanceAsync(5_000)]);
    // One connection open when refused: 1 - 1 → at least 1.
    expect(pool.stats().concurrency).toBe(1);
    await clock.advanceAsync(24_999);
    await Promise.all([pool.send(message(2)), clock.advanceAsync(0)]);
    expect(pool.stats().concurrency).toBe(1);
    await clock.advanceAsync(1);
    await Promise.all([pool.send(message(3)), clock.advanceAsync(0)]);
    expect(pool.stats().concurrency).toBe(2);
    await clock.advanceAsync(30_000);
    await Promise.all([pool.send(message(4)), clock.advanceAsync(0)]);
    await clock.advanceAsync(30_000);
    await Promise.all([pool.send(message(5)), clock.advanceAsync(0)]);
    expect(ofType(events, 'concurrency-changed').map((e) => [e.concurrency, e.reason])).toEqual([
      [1, 'too-many-connections'],
      [2, 'recovered'],
      [3, 'recovered'],
    ]);
  });

  it('never opens more connections than the lowered concurrency', async () => {
    const { pool, clock, server } = setup(
      (call) => (call.index === 0 ? TOO_MANY() : new Promise((r) => clock.setTimeout(() => r(ok), 1_000))),
      { host: SES_HOST, maxConnections: 3 },
    );
    const first = [1, 2, 3].map((n) => track(pool.send(message(n))));
    await clock.advanceAsync(0);
    // Three open when refused: at most two from now on.
    expect(pool.stats().concurrency).toBe(2);
    const rest = [4, 5, 6, 7, 8].map((n) => track(pool.send(message(n))));
    await clock.advanceAsync(10_000);
    expect([...first, ...rest].every((s) => s.settled[0]?.ok)).toBe(true);
    expect(server.calls.slice(3).every((call) => call.alive <= 2)).toBe(true);
    expect(server.calls.length).toBe(9);
  });
});

describe('454 maximum sending rate', () => {
  it('slows the limiter, retries per schedule, and climbs back after success', async () => {
    const { pool, clock, events } = setup(
      sequence(fail(replyError(454, 'Throttling failure: Maximum sending rate exceeded.', 'data-end'))),
      { host: SES_HOST, rateLimit: { perSecond: 10 } },
    );
    const sending = track(pool.send(message(1)));
    await clock.advanceAsync(0);
    expect(ofType(events, 'rate-changed')).toEqual([
      { type: 'rate-changed', ratePerSecond: 5, previous: 10, reason: 'throttled' },
    ]);
    expect(ofType(events, 'retry-scheduled')).toMatchObject([{ cause: 'slow-down', delayMs: 5_000 }]);
    await clock.advanceAsync(5_000);
    expect(sending.settled).toMatchObject([{ ok: true }]);
    expect(ofType(events, 'rate-changed').at(-1)).toMatchObject({ previous: 5, reason: 'recovered' });
    expect(pool.stats().currentRate).toBeCloseTo(5.2);
    expect(pool.stats().retriesByCause['slow-down']).toBe(1);
  });

  it('a 454 without a rate limit still backs off on the schedule', async () => {
    const { pool, clock, server } = setup(
      sequence(fail(replyError(454, 'Throttling failure: Maximum sending rate exceeded.', 'data-end'))),
      { host: SES_HOST },
    );
    const sending = track(pool.send(message(1)));
    await clock.advanceAsync(4_999);
    expect(server.calls).toHaveLength(1);
    await clock.advanceAsync(1);
    expect(sending.settled).toMatchObject([{ ok: true }]);
  });

  // ses-facts.md: "back off and lower the send rate". Without a configured limit the pool learns one
  // from the rate it was sending at when SES said it was too fast: half of it, recovering up to it.
  it('without a rate limit: a limit is learnt from the rate observed, and the sends queued behind slow down', async () => {
    const THROTTLED = fail(replyError(454, 'Throttling failure: Maximum sending rate exceeded.', 'data-end'));
    // Eight single-recipient sends go at once (8/s observed); the ninth is throttled.
    const { pool, clock, server, events } = setup(sequence(ok, ok, ok, ok, ok, ok, ok, ok, THROTTLED), {
      host: SES_HOST,
      maxConnections: 1,
    });
    const sends = Array.from({ length: 20 }, (_, i) => track(pool.send(message(i + 1))));
    await clock.advanceAsync(0);
    expect(ofType(events, 'rate-changed')).toEqual([
      { type: 'rate-changed', ratePerSecond: 4.5, previous: 9, reason: 'throttled' },
    ]);
    expect(pool.stats().currentRate).toBeCloseTo(4.5);
    // The limiter starts with a burst of its rate; beyond it the queued sends wait for tokens.
    const startedAtOnce = server.calls.length;
    expect(startedAtOnce).toBeLessThan(9 + 6);
    await clock.advanceAsync(1_000);
    expect(server.calls.length - startedAtOnce).toBeLessThanOrEqual(5);
    await clock.advanceAsync(60_000);
    expect(sends.every((s) => s.settled.length === 1 && s.settled[0]?.ok)).toBe(true);
  });

  it('paces attempts by recipients (SES counts recipients)', async () => {
    const { pool, clock, server } = setup(() => ok, {
      maxConnections: 4,
      rateLimit: { perSecond: 1, burst: 1 },
    });
    const a = pool.send(message(1, ['a@x.test', 'b@x.test', 'c@x.test']));
    const b = pool.send(message(2));
    await clock.advanceAsync(10_000);
    const [ra, rb] = await Promise.all([a, b]);
    expect([ra.attempts[0]?.startedAt, rb.attempts[0]?.startedAt]).toEqual([0, 3_000]);
    expect(server.calls).toHaveLength(2);
  });

  it("paces attempts by messages with unit 'messages'", async () => {
    const { pool, clock } = setup(() => ok, {
      maxConnections: 4,
      rateLimit: { perSecond: 1, burst: 1, unit: 'messages' },
    });
    const a = pool.send(message(1, ['a@x.test', 'b@x.test', 'c@x.test']));
    const b = pool.send(message(2));
    await clock.advanceAsync(10_000);
    const [ra, rb] = await Promise.all([a, b]);
    expect([ra.attempts[0]?.startedAt, rb.attempts[0]?.startedAt]).toEqual([0, 1_000]);
  });

  it('a connection left idle past idleTimeoutMs while waiting for tokens is replaced before use', async () => {
    const { pool, clock, events } = setup(() => ok, {
      maxConnections: 1,
      idleTimeoutMs: 5_000,
      rateLimit: { perSecond: 0.1, burst: 1 },
    });
    await Promise.all([pool.send(message(1)), clock.advanceAsync(0)]);
    const second = pool.send(message(2));
    await clock.advanceAsync(10_000);
    const result = await second;
    expect(result.attempts[0]?.connectionId).toBe('c2');
    expect(ofType(events, 'connection-recycled')).toMatchObject([{ connectionId: 'c1', reason: 'stale' }]);
  });
});

describe('454 daily message quota', () => {
  const QUOTA = fail(replyError(454, 'Throttling failure: Daily message quota exceeded.', 'data-end'));

  it('stops the pool: the send, the queue and new sends fail fast; waiting sends go after resume()', async () => {
    const { pool, clock, events, server } = setup(sequence(QUOTA), { host: SES_HOST, maxConnections: 1 });
    const first = errorOf(pool.send(message(1)));
    const queued = [errorOf(pool.send(message(2))), errorOf(pool.send(message(3)))];
    await clock.advanceAsync(0);
    const error = await first;
    expect(error).toMatchObject({
      code: ErrorCodes.DAILY_QUOTA_EXCEEDED,
      outcome: 'not-sent',
      origin: 'remote',
    });
    for (const e of await Promise.all(queued)) {
      expect(e).toMatchObject({
        code: ErrorCodes.DAILY_QUOTA_EXCEEDED,
        outcome: 'not-sent',
        origin: 'local',
      });
    }
    expect((await errorOf(pool.send(message(4)))).code).toBe(ErrorCodes.DAILY_QUOTA_EXCEEDED);
    const waiting = track(pool.send({ ...message(5), onQuotaExceeded: 'wait' }));
    await clock.advanceAsync(3_600_000);
    expect(waiting.settled).toEqual([]);
    expect(pool.stats()).toMatchObject({ quotaStopped: true, queued: 1, failed: 4 });
    expect(ofType(events, 'quota-stopped')).toMatchObject([{ code: ErrorCodes.DAILY_QUOTA_EXCEEDED }]);
    pool.resume();
    await clock.advanceAsync(0);
    expect(waiting.settled).toMatchObject([{ ok: true }]);
    expect(server.froms).toEqual(['s1@example.test', 's5@example.test']);
    expect(ofType(events, 'quota-resumed')).toHaveLength(1);
    expect(pool.stats().quotaStopped).toBe(false);
  });

  it("with onQuotaExceeded: 'wait' the send that met the quota waits too, then goes", async () => {
    const { pool, clock, events } = setup(sequence(QUOTA), { host: SES_HOST, onQuotaExceeded: 'wait' });
    const sending = track(pool.send(message(1)));
    await clock.advanceAsync(60_000);
    expect(sending.settled).toEqual([]);
    expect(ofType(events, 'message-deferred')).toHaveLength(1);
    pool.resume();
    await clock.advanceAsync(0);
    expect(sending.settled).toMatchObject([{ ok: true, value: { attempts: [{}, {}] } }]);
  });

  it('close() while stopped fails the waiting sends with CLIENT_CLOSED instead of hanging', async () => {
    const { pool, clock } = setup(sequence(QUOTA), { host: SES_HOST, onQuotaExceeded: 'wait' });
    const sending = track(pool.send(message(1)));
    await clock.advanceAsync(0);
    await pool.close();
    expect(sending.settled).toMatchObject([{ ok: false, error: { code: ErrorCodes.CLIENT_CLOSED } }]);
  });

  it('a pool-option wait can be overridden per send', async () => {
    const { pool, clock } = setup(sequence(QUOTA), { host: SES_HOST, onQuotaExceeded: 'wait' });
    track(pool.send(message(1)));
    await clock.advanceAsync(0);
    const error = await errorOf(pool.send({ ...message(2), onQuotaExceeded: 'fail' }));
    expect(error.code).toBe(ErrorCodes.DAILY_QUOTA_EXCEEDED);
  });
});
