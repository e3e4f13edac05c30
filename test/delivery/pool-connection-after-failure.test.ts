/**
 * What a failed transaction does to its connection and to the next attempt (failure-action.ts):
 * only a reused connection that closed before or at MAIL with nothing sent died while idle (a free
 * reconnect); any other close is an ordinary retry on the back-off. A connection stays in use only
 * after a refusal inside a transaction (the session is back at `ready`); a 421 (RFC 5321 §3.8: the
 * server is closing the channel) or a refusal outside a transaction ends it.
 */
import { describe, expect, it } from 'vitest';
import { closedError, fail, message, ofType, ok, replyError, sequence, setup, track } from './pool-fakes.js';

/** Generic host, random 0.5: the first back-off is 500 ms. */
const FIRST_BACKOFF_MS = 500;

describe('which closes are a free reconnect', () => {
  it('a fresh connection closed at MAIL is an ordinary retry on the back-off, not a free reconnect', async () => {
    const { pool, clock, events } = setup(sequence(fail(closedError('not-sent', 'mail'))));
    const sending = track(pool.send(message(1)));
    await clock.advanceAsync(0);
    expect(ofType(events, 'retry-scheduled')).toMatchObject([
      { delayMs: FIRST_BACKOFF_MS, cause: 'retry', nextAttempt: 2 },
    ]);
    await clock.advanceAsync(FIRST_BACKOFF_MS);
    expect(sending.settled).toMatchObject([{ ok: true }]);
  });

  it('a reused connection closed at RCPT (MAIL was answered: it was alive) is an ordinary retry', async () => {
    const { pool, clock, events } = setup(sequence(ok, fail(closedError('not-sent', 'rcpt'))), {
      maxConnections: 1,
    });
    await Promise.all([pool.send(message(1)), clock.advanceAsync(0)]);
    track(pool.send(message(2)));
    await clock.advanceAsync(0);
    expect(ofType(events, 'retry-scheduled')).toMatchObject([
      { delayMs: FIRST_BACKOFF_MS, cause: 'retry', nextAttempt: 2 },
    ]);
  });

  it("a reused connection lost after the dot ('unknown') is never a free reconnect, also under atLeastOnce", async () => {
    const { pool, clock, events } = setup(sequence(ok, fail(closedError('unknown', 'closed'))), {
      maxConnections: 1,
      atLeastOnce: true,
    });
    await Promise.all([pool.send(message(1)), clock.advanceAsync(0)]);
    const second = track(pool.send(message(2)));
    await clock.advanceAsync(0);
    expect(ofType(events, 'retry-scheduled')).toMatchObject([
      { delayMs: FIRST_BACKOFF_MS, cause: 'retry', nextAttempt: 2 },
    ]);
    await clock.advanceAsync(FIRST_BACKOFF_MS);
    expect(second.settled).toMatchObject([{ ok: true, value: { mayDuplicate: true } }]);
  });
});

describe('which failures end the connection', () => {
  it('a 421 at MAIL ends the connection (the server is closing it): the retry opens a new one', async () => {
    const { pool, clock, events } = setup(
      sequence(ok, fail(replyError(421, '4.3.2 Service shutting down', 'mail'))),
      { maxConnections: 1 },
    );
    await Promise.all([pool.send(message(1)), clock.advanceAsync(0)]);
    const second = pool.send(message(2));
    await clock.advanceAsync(FIRST_BACKOFF_MS);
    const result = await second;
    expect(result.attempts.map((a) => a.connectionId)).toEqual(['c1', 'c2']);
    expect(ofType(events, 'connection-closed')).toMatchObject([{ connectionId: 'c1', reason: 'broken' }]);
  });

  it('a 4xx refusal outside a transaction (AUTH) ends the connection', async () => {
    const { pool, clock, events } = setup(
      sequence(fail(replyError(454, '4.7.0 Temporary authentication failure', 'auth'))),
      { maxConnections: 1 },
    );
    const sending = pool.send(message(1));
    await clock.advanceAsync(FIRST_BACKOFF_MS);
    const result = await sending;
    expect(result.attempts.map((a) => [a.connectionId, a.error?.phase])).toEqual([
      ['c1', 'auth'],
      ['c2', undefined],
    ]);
    expect(ofType(events, 'connection-closed')).toMatchObject([{ connectionId: 'c1', reason: 'broken' }]);
  });

  it('a 5xx to the final dot keeps the connection (back at ready): the next send uses it', async () => {
    const { pool, server, clock, events } = setup(
      sequence(fail(replyError(554, '5.6.0 Message rejected', 'data-end'))),
      { maxConnections: 1 },
    );
    const first = track(pool.send(message(1)));
    const second = pool.send(message(2));
    await clock.advanceAsync(0);
    expect((await second).attempts.map((a) => a.connectionId)).toEqual(['c1']);
    expect(first.settled).toMatchObject([{ ok: false, error: { outcome: 'rejected' } }]);
    expect(server.clients).toHaveLength(1);
    expect(ofType(events, 'connection-closed')).toEqual([]);
  });

  it('a client that closed itself during a send is dropped as broken, not recycled', async () => {
    const { pool, server, clock, events } = setup(() => ok, { maxConnections: 1 });
    server.script = () => {
      Object.defineProperty(server.clients[0], 'closed', { value: true });
      return fail(replyError(550, '5.1.1 No such user', 'rcpt'));
    };
    const error = pool.send(message(1)).catch((e: unknown) => e);
    await clock.advanceAsync(0);
    expect(await error).toMatchObject({ outcome: 'rejected' });
    expect(ofType(events, 'connection-recycled')).toEqual([]);
    expect(ofType(events, 'connection-closed')).toMatchObject([{ connectionId: 'c1', reason: 'broken' }]);
  });
});
