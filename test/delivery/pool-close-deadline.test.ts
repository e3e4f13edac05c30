/**
 * close({ deadlineMs }) bounds the whole close, the QUITs included (README: it resolves within
 * deadlineMs + 1 s): a connection whose QUIT is never answered — idle when the close began, or
 * recycled just before — is dropped without QUIT at the deadline, and close() resolves then.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createPool, type Pool } from '../../src/delivery/pool.js';
import { SES_PROFILE } from '../../src/errors/classify.js';
import { flushPromises, ManualClock } from '../support/manual-clock.js';
import { type ScriptedServer, startScriptedServer } from '../support/scripted-server.js';
import { tlsFixtures } from '../support/tls-fixtures.js';
import { message, ofType, setup, track } from './pool-fakes.js';

/** Watches a close() promise without awaiting it. */
function watch(closing: Promise<void>) {
  const state = { closed: false };
  void closing.then(() => {
    state.closed = true;
  });
  return state;
}

const neverAnswered = (): Promise<void> => new Promise<void>(() => undefined);

describe('close deadline while connections QUIT (fake clients)', () => {
  it('an idle connection whose QUIT is never answered is dropped at the deadline', async () => {
    const { pool, server, clock, events } = setup();
    server.closeDelay = neverAnswered;
    await Promise.all([pool.send(message(1)), clock.advanceAsync(0)]);
    const closing = watch(pool.close({ deadlineMs: 100 }));
    await clock.advanceAsync(99);
    expect(server.clients[0]).toMatchObject({ closeCalls: 1, destroyed: false });
    expect(closing.closed).toBe(false);

    await clock.advanceAsync(1);
    await flushPromises();
    expect(server.clients[0]?.destroyed).toBe(true);
    expect(closing.closed).toBe(true);
    expect(pool.stats().connections).toBe(0);
    expect(ofType(events, 'close-deadline')).toEqual([{ type: 'close-deadline', sending: 0, notSent: 0 }]);
    expect(events.at(-1)).toEqual({ type: 'pool-closed' });
  });

  it('a connection recycled before the close, still QUITting, is dropped at the deadline', async () => {
    const { pool, server, clock } = setup(undefined, { maxMessagesPerConnection: 1 });
    server.closeDelay = neverAnswered;
    await Promise.all([pool.send(message(1)), clock.advanceAsync(0)]);
    expect(server.clients[0]?.closeCalls).toBe(1); // recycled after its one message
    const closing = watch(pool.close({ deadlineMs: 100 }));
    await clock.advanceAsync(100);
    await flushPromises();
    expect(server.clients[0]?.destroyed).toBe(true);
    expect(closing.closed).toBe(true);
    expect(clock.now()).toBe(100);
  });

  it('a deadline given after the QUITs began still applies', async () => {
    const { pool, server, clock } = setup();
    server.closeDelay = neverAnswered;
    await Promise.all([pool.send(message(1)), clock.advanceAsync(0)]);
    const closing = watch(pool.close());
    await clock.advanceAsync(60_000);
    expect(closing.closed).toBe(false);
    void pool.close({ deadlineMs: 10 });
    await clock.advanceAsync(10);
    await flushPromises();
    expect(server.clients[0]?.destroyed).toBe(true);
    expect(closing.closed).toBe(true);
  });

  it('a close that ended before its deadline leaves no timer and reports no deadline', async () => {
    const { pool, clock, events } = setup();
    await Promise.all([pool.send(message(1)), clock.advanceAsync(0)]);
    await Promise.all([pool.close({ deadlineMs: 1_000 }), clock.advanceAsync(0)]);
    expect(clock.pending).toBe(0);
    void pool.close({ deadlineMs: 0 });
    await clock.advanceAsync(1_000);
    expect(ofType(events, 'close-deadline')).toEqual([]);
    expect(ofType(events, 'pool-closed')).toHaveLength(1);
  });
});

describe('close deadline while a real client QUITs', () => {
  let server: ScriptedServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('a server that never answers QUIT does not hold close() past the deadline', async () => {
    const fixtures = await tlsFixtures();
    server = await startScriptedServer({ tls: fixtures.server, overrides: { QUIT: null } });
    const clock = new ManualClock(0);
    const pool: Pool = createPool({
      host: 'localhost',
      address: '127.0.0.1',
      port: server.port,
      tls: { ca: fixtures.ca.cert },
      profile: SES_PROFILE,
      clock,
    });
    await pool.send(message(1));
    const closing = watch(pool.close({ deadlineMs: 100 }));
    const quitSent = () => server?.connections[0]?.commands.some((c) => c.verb === 'QUIT') === true;
    await server.waitFor(quitSent);
    expect(closing.closed).toBe(false);
    await clock.advanceAsync(100);
    await flushPromises();
    expect(closing.closed).toBe(true);
  });
});

describe('the deadline, while a connection still QUITs and a send is queued', () => {
  // Dropping the QUITting connection frees its place; the queued send must not take it: the
  // deadline gives it up (not-sent), and close() resolves.
  it('no queued send starts on a new connection after the deadline', async () => {
    const { pool, server, clock, events } = setup(undefined, {
      maxConnections: 1,
      maxMessagesPerConnection: 1,
    });
    server.closeDelay = () => new Promise<void>(() => undefined); // QUIT never answered
    await Promise.all([pool.send(message(1)), clock.advanceAsync(0)]);
    expect(server.clients[0]?.closeCalls).toBe(1); // recycled, QUITting, counted against the limit
    const queued = track(pool.send(message(2)));
    await clock.advanceAsync(0);
    expect(pool.stats().queued).toBe(1);
    let closed = false;
    void pool.close({ deadlineMs: 100 }).then(() => {
      closed = true;
    });
    await clock.advanceAsync(100);
    await flushPromises();
    await clock.advanceAsync(60_000);
    await flushPromises();
    expect(server.clients).toHaveLength(1);
    expect(queued.settled).toMatchObject([{ ok: false, error: { outcome: 'not-sent' } }]);
    expect(ofType(events, 'close-deadline')).toMatchObject([{ notSent: 1 }]);
    expect(closed).toBe(true);
  });
});
