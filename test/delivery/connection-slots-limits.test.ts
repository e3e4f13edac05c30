/**
 * ConnectionSlots against its limit (connection-slot.ts): no slot once `limit` transactions run,
 * counting a slot being swapped for a fresh one and even when an idle connection is at hand (after
 * the pool lowered its concurrency); a fresh connection asked for at the limit replaces an idle
 * one instead of waiting for it to idle out; trim() leaves exactly `limit`; closeAll() ends when
 * the last close does.
 */
import { describe, expect, it } from 'vitest';
import { ConnectionSlots } from '../../src/delivery/connection-slot.js';
import type { PoolEvent } from '../../src/delivery/pool-events.js';
import type { ClientLike } from '../../src/delivery/pool-options.js';
import { flushPromises, ManualClock } from '../support/manual-clock.js';

function harness(
  options: { maxMessages?: number; closeDelay?: () => Promise<void>; pipelining?: boolean } = {},
) {
  const events: PoolEvent[] = [];
  let closed = 0;
  const slots = new ConnectionSlots({
    clock: new ManualClock(),
    create: (): ClientLike => ({
      send: () => Promise.reject(new Error('not used')),
      close: options.closeDelay ?? (() => Promise.resolve()),
      ...(options.pipelining ? { pipelining: true } : {}),
    }),
    maxMessages: options.maxMessages ?? 100,
    maxAgeMs: 60_000,
    idleTimeoutMs: 0, // no idle timer: nothing but the pool's own calls closes a connection
    emit: (event) => events.push(event),
    onClosed: () => {
      closed++;
    },
  });
  return { slots, events, closedCount: () => closed };
}

const free = { broken: false } as const;

describe('acquire() at the limit', () => {
  it('gives no slot while `limit` transactions run, even with an idle connection at hand', () => {
    const { slots } = harness();
    const a = slots.acquire({ openedAfter: 0, limit: 2 });
    const b = slots.acquire({ openedAfter: 0, limit: 2 });
    if (!a || !b) throw new Error('expected two slots');
    slots.release(b, { ...free, limit: 2 });
    // The pool lowered its concurrency to 1 while `a` runs: `b` idles, unused.
    expect(slots.acquire({ openedAfter: 0, limit: 1 })).toBeUndefined();
    expect(slots.busy).toBe(1);
  });

  it('counts a slot being swapped for a fresh one as a running transaction', async () => {
    let endClose: () => void = () => undefined;
    const pending = new Promise<void>((resolve) => {
      endClose = resolve;
    });
    const { slots } = harness({ maxMessages: 1, closeDelay: () => pending });
    const a = slots.acquire({ openedAfter: 0, limit: 2 });
    const b = slots.acquire({ openedAfter: 0, limit: 2 });
    if (!a || !b) throw new Error('expected two slots');
    slots.release(b, { ...free, limit: 2 });
    a.messages = 1; // at maxMessages: refresh() swaps it, waiting for its QUIT
    const swapped = slots.refresh(a, new AbortController().signal);
    await flushPromises();
    expect(slots.busy).toBe(1);
    expect(slots.acquire({ openedAfter: 0, limit: 1 })).toBeUndefined();
    endClose();
    expect(await swapped).toBeDefined();
  });

  it('a fresh connection asked for at the limit closes an idle one (replaced), then opens', async () => {
    const { slots, events, closedCount } = harness();
    const a = slots.acquire({ openedAfter: 0, limit: 1 });
    if (!a) throw new Error('expected a slot');
    slots.release(a, { ...free, limit: 1 });
    expect(slots.acquire({ openedAfter: slots.opened, limit: 1 })).toBeUndefined();
    expect(events.filter((e) => e.type === 'connection-closed')).toMatchObject([
      { connectionId: a.id, reason: 'replaced' },
    ]);
    await flushPromises();
    expect(closedCount()).toBe(1); // onClosed: the pool pumps again
    const fresh = slots.acquire({ openedAfter: slots.opened, limit: 1 });
    expect(fresh?.id).not.toBe(a.id);
  });
});

describe('acquire() for a send whose connection died (openedAfter)', () => {
  it('shares a newer busy pipelining connection rather than replacing an older idle one', () => {
    const { slots, events } = harness({ pipelining: true });
    const a = slots.acquire({ openedAfter: 0, limit: 2 });
    const b = slots.acquire({ openedAfter: 0, limit: 2 });
    if (!a || !b) throw new Error('expected two slots');
    slots.release(a, { ...free, limit: 2 }); // a idles; b runs a send
    // A send that may only take a connection opened after a (its own died meanwhile):
    expect(slots.acquire({ openedAfter: a.serial, limit: 2 })).toBe(b);
    expect(b.sends).toBe(2);
    expect(events.filter((e) => e.type === 'connection-closed')).toEqual([]);
  });

  it('with no such connection to share, an older idle one makes room (replaced)', () => {
    const { slots, events } = harness();
    const a = slots.acquire({ openedAfter: 0, limit: 2 });
    const b = slots.acquire({ openedAfter: 0, limit: 2 });
    if (!a || !b) throw new Error('expected two slots');
    slots.release(a, { ...free, limit: 2 });
    expect(slots.acquire({ openedAfter: b.serial, limit: 2 })).toBeUndefined();
    expect(events.filter((e) => e.type === 'connection-closed')).toMatchObject([
      { connectionId: a.id, reason: 'replaced' },
    ]);
  });
});

describe('trim() and closeAll()', () => {
  it('trim(limit) leaves exactly `limit` idle connections', () => {
    const { slots } = harness();
    const opened = [1, 2, 3].map(() => slots.acquire({ openedAfter: 0, limit: 3 }));
    for (const slot of opened) if (slot) slots.release(slot, { ...free, limit: 3 });
    slots.trim(1);
    expect(slots.size).toBe(1);
  });

  it('closeAll() resolves when the last connection has closed, not the first', async () => {
    let endSlow: () => void = () => undefined;
    const slow = new Promise<void>((resolve) => {
      endSlow = resolve;
    });
    const delays = [() => Promise.resolve(), () => slow];
    const { slots } = harness({ closeDelay: () => (delays.shift() ?? (() => Promise.resolve()))() });
    const opened = [1, 2].map(() => slots.acquire({ openedAfter: 0, limit: 2 }));
    for (const slot of opened) if (slot) slots.release(slot, { ...free, limit: 2 });
    let done = false;
    void slots.closeAll().then(() => {
      done = true;
    });
    await flushPromises();
    expect(done).toBe(false);
    endSlow();
    await flushPromises();
    expect(done).toBe(true);
  });
});
