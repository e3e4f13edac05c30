import { describe, expect, it } from 'vitest';
import { attemptsOf } from '../../src/delivery/attempt-history.js';
import { CLOSE_SETTLE_GRACE_MS } from '../../src/delivery/pool-drain.js';
import { ErrorCodes } from '../../src/errors/codes.js';
import { flushPromises } from '../support/manual-clock.js';
import {
  type Behaviour,
  closedError,
  errorOf,
  fail,
  senderOf as from,
  message,
  ofType,
  ok,
  replyError,
  SES_HOST,
  setup,
  track,
} from './pool-fakes.js';

/** Watches a close() promise without awaiting it. */
function watch(closing: Promise<void>) {
  const state = { closed: false };
  void closing.then(() => {
    state.closed = true;
  });
  return state;
}

describe('close deadline: in-flight sends get the outcome their aborted transaction reports', () => {
  it('aborted at MAIL → not-sent; dot written → unknown; never settles → unknown after the grace', async () => {
    const byFrom: Record<string, Behaviour> = {
      [from(1)]: { kind: 'hang', outcome: 'not-sent' }, // the abort reaches the session at MAIL
      [from(2)]: { kind: 'hang', outcome: 'unknown' }, // the dot was written, no reply yet
      [from(3)]: { kind: 'stuck' }, // the client never answers its abort
    };
    const { pool, clock, server, events } = setup((call) => byFrom[call.request.from] ?? ok, {
      maxConnections: 3,
    });
    const sends = [1, 2, 3].map((n) => track(pool.send(message(n))));
    await clock.advanceAsync(0);
    const closing = watch(pool.close({ deadlineMs: 100 }));
    await clock.advanceAsync(100);
    await flushPromises();

    expect(sends[0]?.settled).toMatchObject([
      { ok: false, error: { code: ErrorCodes.CLIENT_CLOSED, outcome: 'not-sent', phase: 'mail' } },
    ]);
    expect(sends[1]?.settled).toMatchObject([
      { ok: false, error: { code: ErrorCodes.CLIENT_CLOSED, outcome: 'unknown', phase: 'data-end' } },
    ]);
    const notSent = sends[0]?.settled[0];
    if (notSent?.ok !== false) throw new Error('expected a failure');
    expect(attemptsOf(notSent.error)?.map((a) => a.error?.outcome)).toEqual(['not-sent']);
    // The third is still given its chance to report, within the bound.
    expect(sends[2]?.settled).toEqual([]);
    expect(closing.closed).toBe(false);
    expect(server.clients.every((c) => c.destroyed)).toBe(true);

    await clock.advanceAsync(CLOSE_SETTLE_GRACE_MS - 1);
    expect(sends[2]?.settled).toEqual([]);
    await clock.advanceAsync(1);
    await flushPromises();
    expect(sends[2]?.settled).toMatchObject([
      { ok: false, error: { code: ErrorCodes.CLIENT_CLOSED, outcome: 'unknown' } },
    ]);
    expect(closing.closed).toBe(true);
    expect(pool.stats()).toMatchObject({ failed: 1, unknown: 2, inFlight: 0, connections: 0 });
    expect(ofType(events, 'close-deadline')).toEqual([{ type: 'close-deadline', sending: 3, notSent: 0 }]);
  });

  it('a final reply that arrives within the grace is reported as it is; one after it is ignored', async () => {
    const { pool, clock } = setup(
      (call) =>
        new Promise<Behaviour>((resolve) => {
          const late = call.request.from === from(1) ? 300 : CLOSE_SETTLE_GRACE_MS + 500;
          call.request.signal?.addEventListener('abort', () => clock.setTimeout(() => resolve(ok), late));
        }),
      { maxConnections: 2 },
    );
    const first = track(pool.send(message(1)));
    const second = track(pool.send(message(2)));
    await clock.advanceAsync(0);
    const closing = watch(pool.close({ deadlineMs: 0 }));
    await clock.advanceAsync(300);
    expect(first.settled).toMatchObject([{ ok: true, value: { accepted: [message(1).to[0]] } }]);
    expect(second.settled).toEqual([]);
    await clock.advanceAsync(CLOSE_SETTLE_GRACE_MS);
    await flushPromises();
    expect(second.settled).toMatchObject([{ ok: false, error: { outcome: 'unknown' } }]);
    expect(closing.closed).toBe(true);
    await clock.advanceAsync(1_000);
    expect(second.settled).toHaveLength(1);
    expect(pool.stats()).toMatchObject({ delivered: 1, unknown: 1 });
  });

  it('a send still waiting for send-rate tokens fails not-sent at the deadline, without the grace', async () => {
    const { pool, clock, events } = setup(() => ok, {
      maxConnections: 1,
      rateLimit: { perSecond: 0.1, burst: 1 },
    });
    const first = track(pool.send(message(1)));
    const second = track(pool.send(message(2)));
    await clock.advanceAsync(0);
    expect(first.settled).toMatchObject([{ ok: true }]);
    const closing = watch(pool.close({ deadlineMs: 5 }));
    await clock.advanceAsync(5);
    await flushPromises();
    expect(second.settled).toMatchObject([
      { ok: false, error: { code: ErrorCodes.CLIENT_CLOSED, outcome: 'not-sent' } },
    ]);
    expect(closing.closed).toBe(true);
    expect(clock.now()).toBe(5);
    expect(ofType(events, 'close-deadline')).toEqual([{ type: 'close-deadline', sending: 0, notSent: 1 }]);
  });
});

describe('close without waitForRetries: each class of send', () => {
  it('waiting for a retry → settles at once with its last error; in flight → finishes; queued → starts', async () => {
    const { pool, clock, server, events } = setup(
      (call) => {
        if (call.request.from === from(1)) return fail(replyError(451, 'Temporary service failure'));
        if (call.request.from === from(2)) {
          return new Promise<Behaviour>((resolve) => clock.setTimeout(() => resolve(ok), 2_000));
        }
        return ok;
      },
      { host: SES_HOST, maxConnections: 1 },
    );
    const retrying = track(pool.send(message(1)));
    const inFlight = track(pool.send(message(2)));
    const queued = track(pool.send(message(3)));
    await clock.advanceAsync(0);
    expect(pool.stats()).toMatchObject({ waitingRetry: 1, inFlight: 1, queued: 1 });
    const closing = watch(pool.close());
    await flushPromises();

    expect(retrying.settled).toMatchObject([
      {
        ok: false,
        error: {
          code: ErrorCodes.TRANSIENT_FAILURE,
          outcome: 'not-sent',
          retryable: true,
          reply: { code: 451 },
        },
      },
    ]);
    const failed = retrying.settled[0];
    if (failed?.ok !== false) throw new Error('expected a failure');
    expect(attemptsOf(failed.error)).toHaveLength(1);
    expect(inFlight.settled).toEqual([]);
    expect(queued.settled).toEqual([]);

    await clock.advanceAsync(2_000);
    await flushPromises();
    expect(inFlight.settled).toMatchObject([{ ok: true }]);
    expect(queued.settled).toMatchObject([{ ok: true }]);
    expect(closing.closed).toBe(true);
    expect(clock.now()).toBe(2_000); // not the 5 s back-off
    expect(server.froms).toEqual([from(1), from(2), from(3)]);
    expect(ofType(events, 'pool-closing')).toEqual([
      { type: 'pool-closing', deadlineMs: undefined, waitForRetries: false },
    ]);
    expect(events.at(-1)).toEqual({ type: 'pool-closed' });
  });

  it('a send that fails during the close is not scheduled for a retry: it settles with that error', async () => {
    const { pool, clock, events } = setup(
      () =>
        new Promise<Behaviour>((resolve) =>
          clock.setTimeout(() => resolve(fail(replyError(451, 'Temporary service failure'))), 1_000),
        ),
      { host: SES_HOST },
    );
    const sending = track(pool.send(message(1)));
    await clock.advanceAsync(0);
    const closing = watch(pool.close());
    await clock.advanceAsync(1_000);
    await flushPromises();
    expect(sending.settled).toMatchObject([
      { ok: false, error: { code: ErrorCodes.TRANSIENT_FAILURE, outcome: 'not-sent', retryable: true } },
    ]);
    expect(ofType(events, 'retry-scheduled')).toEqual([]);
    expect(closing.closed).toBe(true);
  });

  it('a connection found dead while idle is still replaced at once during the close (no back-off)', async () => {
    const { pool, clock, server } = setup(
      (call) => (call.index === 1 ? fail(closedError('not-sent', 'mail')) : ok),
      { maxConnections: 1 },
    );
    const sends = [1, 2].map((n) => track(pool.send(message(n))));
    const closing = pool.close();
    await clock.advanceAsync(0);
    await closing;
    expect(sends.map((s) => s.settled.map((x) => x.ok))).toEqual([[true], [true]]);
    expect(server.clients).toHaveLength(2);
  });

  it('recipients waiting for a retry after a 452 are reported not-sent; the accepted ones stand', async () => {
    const { pool, clock } = setup(
      (call) =>
        call.index === 0
          ? { kind: 'ok', rejected: [{ recipient: 'b@x.test', code: 452, text: 'full' }] }
          : ok,
      { host: SES_HOST },
    );
    const sending = track(pool.send(message(1, ['a@x.test', 'b@x.test'])));
    await clock.advanceAsync(0);
    expect(pool.stats().waitingRetry).toBe(1);
    await pool.close();
    expect(sending.settled).toMatchObject([
      {
        ok: true,
        value: {
          accepted: ['a@x.test'],
          rejected: [{ recipient: 'b@x.test', outcome: 'not-sent', reply: { code: 452 } }],
          attempts: [{ recipients: ['a@x.test', 'b@x.test'] }],
        },
      },
    ]);
  });
});

describe('close({ waitForRetries: true })', () => {
  it('waits out the back-off and delivers the retry', async () => {
    const { pool, clock, server } = setup(
      (call) => (call.index === 0 ? fail(replyError(451, 'later')) : ok),
      {
        host: SES_HOST,
      },
    );
    const sending = track(pool.send(message(1)));
    await clock.advanceAsync(0);
    const closing = watch(pool.close({ waitForRetries: true }));
    await clock.advanceAsync(4_999);
    expect(sending.settled).toEqual([]);
    expect(closing.closed).toBe(false);
    await clock.advanceAsync(1);
    await flushPromises();
    expect(sending.settled).toMatchObject([{ ok: true, value: { attempts: [{}, {}] } }]);
    expect(closing.closed).toBe(true);
    expect(server.calls).toHaveLength(2);
  });

  it('with a deadline: a retry still waiting then fails CLIENT_CLOSED not-sent, history intact', async () => {
    const { pool, clock } = setup(() => fail(replyError(451, 'later')), { host: SES_HOST });
    const sending = track(pool.send(message(1)));
    await clock.advanceAsync(0);
    const closing = watch(pool.close({ waitForRetries: true, deadlineMs: 1_000 }));
    await clock.advanceAsync(1_000);
    await flushPromises();
    expect(sending.settled).toMatchObject([
      { ok: false, error: { code: ErrorCodes.CLIENT_CLOSED, outcome: 'not-sent' } },
    ]);
    const failed = sending.settled[0];
    if (failed?.ok !== false) throw new Error('expected a failure');
    expect(attemptsOf(failed.error)).toHaveLength(1);
    expect(closing.closed).toBe(true);
  });

  it('a later close({ waitForRetries: false }) stops waiting', async () => {
    const { pool, clock } = setup(() => fail(replyError(451, 'later')), { host: SES_HOST });
    const sending = track(pool.send(message(1)));
    await clock.advanceAsync(0);
    const first = pool.close({ waitForRetries: true });
    await clock.advanceAsync(1_000);
    expect(sending.settled).toEqual([]);
    expect(pool.close({ waitForRetries: false })).toBe(first);
    await first;
    expect(sending.settled).toMatchObject([{ ok: false, error: { outcome: 'not-sent', retryable: true } }]);
  });
  it('a repeated close({ waitForRetries: true }) still waits out the back-off', async () => {
    const { pool, clock, server } = setup(
      (call) => (call.index === 0 ? fail(replyError(451, 'later')) : ok),
      { host: SES_HOST },
    );
    const sending = track(pool.send(message(1)));
    await clock.advanceAsync(0);
    const first = pool.close({ waitForRetries: true });
    expect(pool.close({ waitForRetries: true })).toBe(first);
    const closing = watch(first);
    await clock.advanceAsync(4_999);
    expect(sending.settled).toEqual([]);
    await clock.advanceAsync(1);
    await flushPromises();
    expect(sending.settled).toMatchObject([{ ok: true, value: { attempts: [{}, {}] } }]);
    expect(closing.closed).toBe(true);
    expect(server.calls).toHaveLength(2);
  });
});

describe('close() itself', () => {
  it('is idempotent, rejects later sends CLIENT_CLOSED, and reports closing and closed once', async () => {
    const { pool, clock, events } = setup();
    const sending = track(pool.send(message(1)));
    const closing = pool.close();
    expect(pool.close()).toBe(closing);
    const during = await errorOf(pool.send(message(2)));
    expect(during).toMatchObject({ code: ErrorCodes.CLIENT_CLOSED, outcome: 'not-sent' });
    await clock.advanceAsync(0);
    await closing;
    expect(sending.settled).toMatchObject([{ ok: true }]);
    expect(pool.close()).toBe(closing);
    expect(pool.close({ deadlineMs: 0 })).toBe(closing);
    const after = await errorOf(pool.send(message(3)));
    expect(after).toMatchObject({ code: ErrorCodes.CLIENT_CLOSED, outcome: 'not-sent' });
    expect(ofType(events, 'pool-closing')).toHaveLength(1);
    expect(ofType(events, 'pool-closed')).toHaveLength(1);
    expect(events.findIndex((e) => e.type === 'pool-closed')).toBeGreaterThan(
      events.findLastIndex((e) => e.type === 'connection-closed'),
    );
  });

  it('a later close with a deadline shortens a close that had none', async () => {
    const { pool, clock } = setup(() => ({ kind: 'hang', outcome: 'not-sent' }));
    const sending = track(pool.send(message(1)));
    await clock.advanceAsync(0);
    const first = watch(pool.close());
    await clock.advanceAsync(60_000);
    expect(first.closed).toBe(false);
    void pool.close({ deadlineMs: 10 });
    await clock.advanceAsync(10);
    await flushPromises();
    expect(sending.settled).toMatchObject([
      { ok: false, error: { code: ErrorCodes.CLIENT_CLOSED, outcome: 'not-sent' } },
    ]);
    expect(first.closed).toBe(true);
  });

  it('refuses a waitForRetries that is not a boolean, naming the field', async () => {
    const { pool } = setup();
    const error = await errorOf(pool.close({ waitForRetries: 'yes' as unknown as boolean }));
    expect(error).toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT, field: 'waitForRetries' });
  });
});
