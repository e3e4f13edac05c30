/**
 * A pipelining connection shared (connection-slot.ts): when every connection the pool may open is in
 * use, a client that reports `pipelining` takes up to MAX_SENDS_PER_CONNECTION sends at once (RFC 2920:
 * the next envelope behind the dot); one that does not never takes two. Shared sends count against
 * the message limit when handed over; a connection that breaks or goes stale with sends still on it
 * takes no more and closes after the last of them.
 */
import { describe, expect, it } from 'vitest';
import { MAX_SENDS_PER_CONNECTION } from '../../src/delivery/connection-slot.js';
import type { PoolEvent } from '../../src/delivery/pool-events.js';
import { ErrorCodes } from '../../src/errors/codes.js';
import { SmtpError } from '../../src/errors/smtp-error.js';
import { type Call, closedError, fail, message, ok, replyError, senderOf, setup } from './pool-fakes.js';

/** Each transaction answers `ms` after it started. */
const answerAfter = (clock: { setTimeout(f: () => void, ms: number): unknown }, ms: number) => () =>
  new Promise<typeof ok>((resolve) => clock.setTimeout(() => resolve(ok), ms));

const types = (events: readonly PoolEvent[]) => events.map((e) => e.type);

describe('sharing a pipelining connection', () => {
  it('every connection in use: a pipelining client takes up to three sends, in order', async () => {
    const { pool, clock, server } = setup(undefined, { maxConnections: 1 });
    server.script = answerAfter(clock, 100);
    server.pipelining = true;
    const sends = Array.from({ length: 8 }, (_, n) => pool.send(message(n)));
    await clock.advanceAsync(2_000);
    const results = await Promise.all(sends);
    expect(results.every((r) => r.accepted.length === 1)).toBe(true);
    expect(server.clients).toHaveLength(1);
    expect(server.clients[0]?.peakRunning).toBe(MAX_SENDS_PER_CONNECTION);
    expect(MAX_SENDS_PER_CONNECTION).toBe(3);
    expect(server.froms).toEqual(Array.from({ length: 8 }, (_, n) => senderOf(n)));
    expect(server.violations).toEqual([]);
  });

  it('a client that does not pipeline never takes a second send', async () => {
    const { pool, clock, server } = setup(undefined, { maxConnections: 2 });
    server.script = answerAfter(clock, 100);
    const sends = Array.from({ length: 8 }, (_, n) => pool.send(message(n)));
    await clock.advanceAsync(2_000);
    await Promise.all(sends);
    expect(server.clients.map((c) => c.peakRunning)).toEqual([1, 1]);
  });

  it('a free connection slot is opened before a busy connection is shared', async () => {
    const { pool, clock, server } = setup(undefined, { maxConnections: 3 });
    server.script = answerAfter(clock, 100);
    server.pipelining = true;
    const first = pool.send(message(0));
    await clock.advanceAsync(100);
    await first; // c1 is up and pipelining
    const sends = [0, 1, 2].map((n) => pool.send(message(n + 1)));
    await clock.advanceAsync(0);
    // c1 taken again, then two new connections: no sharing while the limit allows another connection.
    expect(server.calls.slice(1).map((c) => c.clientId)).toEqual([1, 2, 3]);
    await clock.advanceAsync(200);
    await Promise.all(sends);
    expect(server.clients.map((c) => c.peakRunning)).toEqual([1, 1, 1]);
  });

  it('shared sends count against maxMessagesPerConnection when handed over', async () => {
    const { pool, clock, server } = setup(undefined, { maxConnections: 1, maxMessagesPerConnection: 4 });
    server.script = answerAfter(clock, 100);
    server.pipelining = true;
    const sends = Array.from({ length: 10 }, (_, n) => pool.send(message(n)));
    await clock.advanceAsync(3_000);
    await Promise.all(sends);
    expect(server.clients.map((c) => c.transactions)).toEqual([4, 4, 2]);
    expect(server.clients.some((c) => c.peakRunning > 1)).toBe(true);
    expect(server.violations).toEqual([]);
  });

  it('a connection that breaks under one send takes no more; the others on it finish; then it closes', async () => {
    const { pool, clock, server, events } = setup(undefined, { maxConnections: 1 });
    server.pipelining = true;
    server.script = (call: Call) =>
      new Promise((resolve) =>
        clock.setTimeout(
          // The second transaction on c1 (the first one shared) loses the connection after its dot.
          () => resolve(call.index === 1 ? fail(closedError('unknown', 'data-end')) : ok),
          100 + call.clientCall * 10,
        ),
      );
    const sends = Array.from({ length: 4 }, (_, n) =>
      pool.send(message(n)).then(
        (r) => r.attempts.map((a) => a.connectionId),
        (error: unknown) => error,
      ),
    );
    // Send 0 ends at t=100; sends 1–3 share c1 from then; send 1 breaks it at t=210, 2 and 3 end at 220, 230.
    await clock.advanceAsync(215);
    expect(server.clients[0]?.running).toBe(2);
    // A send arriving now does not join the broken connection, although it has room for one: it waits
    // for c1 to close (the limit is one connection) and goes on c2.
    const late = pool.send(message(4));
    await clock.advanceAsync(2_000);
    expect((await late).attempts.map((a) => a.connectionId)).toEqual(['c2']);
    const results = await Promise.all(sends);
    expect(results[1]).toMatchObject({ outcome: 'unknown' }); // not retried (at-most-once)
    expect([results[0], results[2], results[3]]).toEqual([['c1'], ['c1'], ['c1']]);
    expect(server.clients[0]?.transactions).toBe(4);
    // c1 closed when the last send still on it ended (the fake counts a close() with one running as a
    // violation), after the other shared one had settled.
    const closedAt = events.findIndex((e) => e.type === 'connection-closed' && e.connectionId === 'c1');
    const otherDone = events.findIndex((e) => e.type === 'message-accepted' && e.sendId === 3);
    expect(closedAt).toBeGreaterThan(otherDone);
    expect(events[closedAt]).toMatchObject({ reason: 'broken' });
    expect(server.violations).toEqual([]);
  });

  it('a shared connection gone stale while a send waited for a token: that send leaves it, no attempt spent', async () => {
    const { pool, clock, server, events } = setup(undefined, {
      maxConnections: 1,
      maxConnectionAgeMs: 500,
      rateLimit: { perSecond: 1, burst: 2, unit: 'messages' },
    });
    server.pipelining = true;
    server.script = (call: Call) =>
      new Promise((resolve) => clock.setTimeout(() => resolve(ok), call.index === 1 ? 2_000 : 100));
    const sends = [0, 1, 2].map((n) => pool.send(message(n)));
    // t=0: send 0 opens c1 (a token); t=100: send 1 takes c1 again (the last token), send 2 shares c1
    // and waits for a token (t≈1000), by when c1 is past its 500 ms: send 2 goes back to the queue.
    await clock.advanceAsync(500);
    expect(pool.stats()).toMatchObject({ inFlight: 2, queued: 0 }); // send 2 holds its share of c1
    await clock.advanceAsync(1_000);
    expect(pool.stats()).toMatchObject({ inFlight: 1, queued: 1 }); // and has given it up
    await clock.advanceAsync(3_500);
    const results = await Promise.all(sends);
    expect(results.map((r) => r.attempts.map((a) => a.connectionId))).toEqual([['c1'], ['c1'], ['c2']]);
    expect(server.clients[0]?.transactions).toBe(2);
    // c1 was recycled when send 1, the last send on it, ended (at t=2100).
    const recycled = events.find((e) => e.type === 'connection-recycled' && e.connectionId === 'c1');
    expect(recycled).toMatchObject({ reason: 'max-age', messages: 2, ageMs: 2_100 });
    expect(types(events).filter((t) => t === 'attempt-started')).toHaveLength(3);
    expect(server.violations).toEqual([]);
  });

  it('a connection that breaks while a send sharing it waits for a token: that send leaves it, no attempt spent', async () => {
    const { pool, clock, server, events } = setup(undefined, {
      maxConnections: 1,
      rateLimit: { perSecond: 1, burst: 2, unit: 'messages' },
    });
    server.pipelining = true;
    server.script = (call: Call) =>
      new Promise((resolve) =>
        clock.setTimeout(
          () => resolve(call.index === 1 ? fail(closedError('unknown', 'data-end')) : ok),
          call.index === 1 ? 200 : 100,
        ),
      );
    const sends = [0, 1, 2].map((n) =>
      pool.send(message(n)).then(
        (r) => r.attempts.map((a) => a.connectionId),
        (error: unknown) => error,
      ),
    );
    // t=100: send 1 takes c1 again (the last token) and breaks it at t=300; send 2 shares c1 from
    // t=100, waiting for a token until t≈1000, by when c1 is known broken: it goes elsewhere.
    await clock.advanceAsync(5_000);
    const [first, broken, third] = await Promise.all(sends);
    expect(first).toEqual(['c1']);
    expect(broken).toMatchObject({ outcome: 'unknown' });
    expect(third).toEqual(['c2']);
    expect(server.clients[0]?.transactions).toBe(2);
    expect(events.find((e) => e.type === 'connection-closed' && e.connectionId === 'c1')).toMatchObject({
      reason: 'broken',
    });
    expect(server.violations).toEqual([]);
  });

  it('sends sharing the first transaction of a connection that then breaks: a free reconnect, not a retry', async () => {
    const { pool, clock, server, events } = setup(undefined, { maxConnections: 1 });
    server.pipelining = true;
    server.script = (call: Call) =>
      new Promise((resolve) =>
        clock.setTimeout(() => {
          if (call.clientId !== 1) resolve(ok);
          else if (call.clientCall === 0) resolve(fail(closedError('unknown', 'data-end')));
          else resolve(fail(closedError('not-sent', 'mail'))); // its envelope rode behind the lost dot
        }, 100),
      );
    const first = pool.send(message(0)).catch((error: unknown) => error);
    await clock.advanceAsync(10);
    // c1 is up and carries the first send: the next two share it at once.
    const later = [1, 2].map((n) => pool.send(message(n)));
    await clock.advanceAsync(0);
    expect(server.clients[0]?.running).toBe(3);
    await clock.advanceAsync(1_000);
    expect(await first).toMatchObject({ outcome: 'unknown' });
    const results = await Promise.all(later);
    expect(results.map((r) => r.attempts.map((a) => a.connectionId))).toEqual([
      ['c1', 'c2'],
      ['c1', 'c2'],
    ]);
    const retries = events.filter((e) => e.type === 'retry-scheduled' && e.sendId !== 1);
    expect(retries).toEqual([
      expect.objectContaining({ sendId: 2, cause: 'reconnect', delayMs: 0 }),
      expect.objectContaining({ sendId: 3, cause: 'reconnect', delayMs: 0 }),
    ]);
    expect(server.violations).toEqual([]);
  });

  it('a send whose connection died takes none opened before it died, busy ones included', async () => {
    const { pool, clock, server } = setup(undefined, { maxConnections: 2 });
    server.pipelining = true;
    server.script = (call: Call) =>
      new Promise((resolve) =>
        clock.setTimeout(
          () => resolve(call.index === 3 ? fail(closedError('not-sent', 'mail')) : ok),
          call.index === 3 ? 50 : 100,
        ),
      );
    await Promise.all([pool.send(message(0)), pool.send(message(1)), clock.advanceAsync(100)]);
    // c1 and c2 have each carried one message; the next two take one each.
    const later = [2, 3].map((n) => pool.send(message(n)));
    await clock.advanceAsync(1_000);
    const results = await Promise.all(later);
    // Send 3's connection was dropped while idle (a free reconnect): the other, opened as long ago and
    // busy (pipelining, room for more), is not shared; a new one is opened once the dead one closed.
    const [c3] = results[1]?.attempts.slice(1).map((a) => a.connectionId) ?? [];
    expect(c3).toBe('c3');
    expect(results[1]?.attempts).toHaveLength(2);
    expect(server.violations).toEqual([]);
  });

  it('a send that fails not-sent behind another send that broke the shared connection: a free reconnect, whatever its code', async () => {
    const { pool, clock, server, events } = setup(undefined, { maxConnections: 1 });
    server.pipelining = true;
    server.script = (call: Call) =>
      new Promise((resolve) =>
        clock.setTimeout(
          () => {
            if (call.index === 1) resolve(fail(replyError(421, '4.3.2 Service shutting down', 'data-end')));
            // As createClient passes the 421 on to the send whose envelope rode behind that dot.
            else if (call.index === 2)
              resolve(fail(replyError(421, '4.3.2 Service shutting down', 'data-end')));
            else resolve(ok);
          },
          100 + call.clientCall * 10,
        ),
      );
    const sends = [0, 1, 2].map((n) =>
      pool.send(message(n)).then(
        (r) => r.attempts.map((a) => a.connectionId),
        (error: unknown) => error,
      ),
    );
    await clock.advanceAsync(5_000);
    const [, lead, behind] = await Promise.all(sends);
    expect(lead).toEqual(['c1', 'c2']); // its own 421: a retry after a back-off
    expect(behind).toEqual(['c1', 'c2']); // the lead's 421 ended c1 first: a reconnect at once
    const retries = events.filter((e) => e.type === 'retry-scheduled');
    expect(retries).toEqual([
      expect.objectContaining({ sendId: 2, cause: 'retry' }),
      expect.objectContaining({ sendId: 3, cause: 'reconnect', delayMs: 0 }),
    ]);
    expect(server.violations).toEqual([]);
  });

  it("a send handed over later breaking the connection does not make an earlier one's own failure a free reconnect", async () => {
    const { pool, clock, server, events } = setup(undefined, { maxConnections: 1 });
    server.pipelining = true;
    server.script = (call: Call) =>
      new Promise((resolve) => {
        // Send 2 (seat 2 on c1) fails on its own at t=300; send 3, handed over after it, breaks c1 at t=150.
        if (call.index === 1)
          clock.setTimeout(() => resolve(fail(replyError(451, '4.3.0 Local problem', 'data-end'))), 200);
        else if (call.index === 2)
          clock.setTimeout(() => resolve(fail(closedError('unknown', 'data-end'))), 50);
        else clock.setTimeout(() => resolve(ok), 100);
      });
    const sends = [0, 1, 2].map((n) => pool.send(message(n)).catch((error: unknown) => error));
    await clock.advanceAsync(10_000);
    await Promise.all(sends);
    const retry = events.find((e) => e.type === 'retry-scheduled' && e.sendId === 2);
    expect(retry).toMatchObject({ cause: 'retry' });
    expect(retry && 'delayMs' in retry ? retry.delayMs : 0).toBeGreaterThan(0);
  });

  it("a caller's abort of a shared send still waiting in its client leaves the connection in use", async () => {
    const { pool, clock, server, events } = setup(undefined, { maxConnections: 1 });
    server.pipelining = true;
    // createClient's answer to an abort of a send in its queue: ABORTED in phase `ready`, nothing written.
    const queuedAbort = new SmtpError({
      code: ErrorCodes.ABORTED,
      origin: 'local',
      outcome: 'not-sent',
      phase: 'ready',
      message: 'the operation was aborted',
    });
    server.script = (call: Call) =>
      call.request.from === senderOf(3)
        ? new Promise((resolve) =>
            call.request.signal?.addEventListener('abort', () => resolve(fail(queuedAbort)), { once: true }),
          )
        : new Promise((resolve) => clock.setTimeout(() => resolve(ok), 100));
    const controller = new AbortController();
    const sends = [0, 1, 2].map((n) => pool.send(message(n)));
    const aborted = pool.send({ ...message(3), signal: controller.signal }).catch((error: unknown) => error);
    await clock.advanceAsync(150); // sends 1–3 share c1; 3 waits in the client
    expect(server.clients[0]?.running).toBe(3);
    controller.abort();
    expect(await aborted).toMatchObject({ code: ErrorCodes.ABORTED, outcome: 'not-sent' });
    await clock.advanceAsync(100);
    await Promise.all(sends);
    const later = await Promise.all([pool.send(message(4)), clock.advanceAsync(100)]);
    expect(later[0].attempts.map((a) => a.connectionId)).toEqual(['c1']);
    expect(events.filter((e) => e.type === 'connection-closed')).toEqual([]);
    expect(server.clients).toHaveLength(1);
  });

  it('close() lets the shared sends finish, then QUITs', async () => {
    const { pool, clock, server } = setup(undefined, { maxConnections: 1 });
    server.script = answerAfter(clock, 100);
    server.pipelining = true;
    const sends = Array.from({ length: 4 }, (_, n) => pool.send(message(n)));
    await clock.advanceAsync(150); // send 0 done; sends 1–3 on c1 together
    expect(server.clients[0]?.running).toBe(3);
    const closed = pool.close();
    await clock.advanceAsync(200);
    await closed;
    expect((await Promise.all(sends)).every((r) => r.accepted.length === 1)).toBe(true);
    expect(server.clients[0]?.closeCalls).toBe(1);
    expect(server.violations).toEqual([]);
  });

  it('an idle timeout never closes a connection with shared sends on it', async () => {
    const { pool, clock, server, events } = setup(undefined, { maxConnections: 1, idleTimeoutMs: 50 });
    server.script = answerAfter(clock, 100);
    server.pipelining = true;
    const sends = Array.from({ length: 4 }, (_, n) => pool.send(message(n)));
    await clock.advanceAsync(1_000);
    await Promise.all(sends);
    const idle = events.filter((e) => e.type === 'connection-closed' && e.reason === 'idle');
    expect(idle).toHaveLength(1); // once, after the last send
    expect(server.clients).toHaveLength(1);
  });

  it('a connection busy for longer than the idle timeout is still shared', async () => {
    const { pool, clock, server } = setup(undefined, { maxConnections: 1, idleTimeoutMs: 50 });
    server.pipelining = true;
    server.script = (call: Call) =>
      new Promise((resolve) => clock.setTimeout(() => resolve(ok), call.index === 1 ? 300 : 100));
    await Promise.all([pool.send(message(0)), clock.advanceAsync(100)]);
    const long = pool.send(message(1)); // t=100 to 400 on c1
    await clock.advanceAsync(150);
    const joined = pool.send(message(2)); // t=250: c1 last finished a send 150 ms ago, but is busy
    await clock.advanceAsync(0);
    expect(server.calls.map((c) => c.clientId)).toEqual([1, 1, 1]);
    await clock.advanceAsync(500);
    await Promise.all([long, joined]);
  });
});
