/**
 * pool.send() refuses what no attempt could send when it is called — a bad envelope address, or a
 * string or bytes body whose size alone is over the client's maxMessageSize (line endings only grow
 * when encoded) — instead of queueing it: it does not wait its turn behind other sends or for a
 * stopped pool's resume(), takes no send-rate token and no connection, and emits no event. A custom
 * createClient factory's clients decide what they take: the pool checks nothing of theirs.
 */
import * as net from 'node:net';
import { describe, expect, it } from 'vitest';
import { createPool } from '../../src/delivery/pool.js';
import type { PoolEvent } from '../../src/delivery/pool-events.js';
import { ErrorCodes } from '../../src/errors/codes.js';
import { SmtpUsageError } from '../../src/errors/smtp-error.js';
import { errorOf, setup, track } from './pool-fakes.js';

/** A pool with the default factory whose server nobody runs: any attempt would show as events. */
function unconnectedPool(maxMessageSize?: number) {
  const events: PoolEvent[] = [];
  const pool = createPool({
    host: '127.0.0.1',
    port: 9, // nothing is dialled unless an attempt starts
    security: 'none',
    ...(maxMessageSize === undefined ? {} : { maxMessageSize }),
    onEvent: (event) => events.push(event),
  });
  return { pool, events };
}

describe('pool.send() refuses before queueing', () => {
  it.each([
    ['bytes', new Uint8Array(101).fill(0x61)],
    ['a string', 'x'.repeat(101)],
    ['a string of 34 three-octet characters', '€'.repeat(34)],
  ])('%s over maxMessageSize: SMTP_MESSAGE_TOO_LARGE, no attempt, no event', async (_, body) => {
    const { pool, events } = unconnectedPool(100);
    const error = await errorOf(pool.send({ from: 'a@example.com', to: 'b@example.org', message: body }));
    expect(error).toBeInstanceOf(SmtpUsageError);
    expect(error).toMatchObject({ code: ErrorCodes.MESSAGE_TOO_LARGE, field: 'size', outcome: 'not-sent' });
    expect(events).toEqual([]);
    expect(pool.stats()).toMatchObject({ queued: 0, inFlight: 0, connections: 0 });
    await pool.close();
  });

  it('the default limit (10,485,760 octets) when maxMessageSize is not given', async () => {
    const { pool, events } = unconnectedPool();
    const error = await errorOf(
      pool.send({
        from: 'a@example.com',
        to: 'b@example.org',
        message: new Uint8Array(10_485_761).fill(0x61),
      }),
    );
    expect(error.code).toBe(ErrorCodes.MESSAGE_TOO_LARGE);
    expect(events).toEqual([]);
    await pool.close();
  });

  it.each([
    ['from', { from: 'not an address', to: 'b@example.org' }],
    ['to[1]', { from: 'a@example.com', to: ['b@example.org', 'c@@example.org'] }],
    ['to', { from: 'a@example.com', to: [] }],
  ])('a bad envelope (%s) is refused with the field named, no attempt, no event', async (field, envelope) => {
    const { pool, events } = unconnectedPool();
    const error = await errorOf(pool.send({ ...envelope, message: 'Subject: x\r\n\r\nx\r\n' }));
    expect(error).toBeInstanceOf(SmtpUsageError);
    expect(error.field).toBe(field);
    expect(events).toEqual([]);
    await pool.close();
  });

  it.each([
    ['a bad address', { to: 'nobody', message: 'Subject: x\r\n\r\nx\r\n' }],
    ['an oversized body', { to: 'b@example.org', message: 'x'.repeat(101) }],
  ])(
    '%s refused with a signal: aborting that signal later changes nothing (no event, no count)',
    async (_, send) => {
      const { pool, events } = unconnectedPool(100);
      const controller = new AbortController();
      await errorOf(pool.send({ from: 'a@example.com', ...send, signal: controller.signal }));
      controller.abort();
      await new Promise((resolve) => setTimeout(resolve, 0));
      expect(events).toEqual([]);
      expect(pool.stats()).toMatchObject({ delivered: 0, rejected: 0, unknown: 0, failed: 0 });
      await pool.close();
    },
  );

  it('a bad address does not wait behind the sends queued before it', async () => {
    // A server that accepts and never greets: the first send holds the pool's only connection.
    const silent = net.createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as net.AddressInfo;
    const events: PoolEvent[] = [];
    const pool = createPool({
      host: '127.0.0.1',
      port,
      security: 'none',
      maxConnections: 1,
      onEvent: (event) => events.push(event),
    });
    try {
      const first = track(pool.send({ from: 'a@example.com', to: 'b@example.org', message: 'x\r\n' }));
      await expect.poll(() => events.some((e) => e.type === 'attempt-started')).toBe(true);
      const bad = await errorOf(pool.send({ from: 'a@example.com', to: 'nobody', message: 'x\r\n' }));
      expect(bad.code).toBe(ErrorCodes.INVALID_ADDRESS);
      expect(first.settled).toEqual([]);
      expect(events.filter((e) => e.type === 'attempt-started')).toHaveLength(1);
    } finally {
      await pool.close({ deadlineMs: 0 });
      silent.close();
    }
  });

  it('a refused send takes no send id: the ids in events stay consecutive', async () => {
    const { pool, clock, events } = setup(() => ({ kind: 'ok' }));
    await errorOf(pool.send({ from: 'a@example.com', to: 5 as never, message: 'x\r\n' }));
    const sending = pool.send({ from: 'a@example.com', to: 'b@example.org', message: 'x\r\n' });
    await clock.advanceAsync(0);
    await sending;
    expect(events.find((e) => e.type === 'attempt-started')).toMatchObject({ sendId: 1 });
    await pool.close();
  });

  it("a custom createClient factory's clients decide what they take: no envelope or size check in send()", async () => {
    const { pool, clock, server } = setup(() => ({ kind: 'ok' }));
    const sending = pool.send({
      from: 'a@example.com',
      to: 'Bob <ops-team>',
      message: 'x'.repeat(20_000_000),
    });
    await clock.advanceAsync(0);
    expect((await sending).accepted).toEqual(['Bob <ops-team>']);
    expect(server.calls).toHaveLength(1);
    await pool.close();
  });
});
