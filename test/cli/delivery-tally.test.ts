/**
 * The pool's events folded into the counts `send --batch --json` and `demo` print: a message counts
 * as delivered only when the pool accepted it; a rejection or an unknown outcome is settled, not delivered.
 */
import { describe, expect, it } from 'vitest';
import { DeliveryTally } from '../../src/cli/delivery-tally.js';
import type { PoolEvent } from '../../src/delivery/pool-events.js';

const accepted: PoolEvent = {
  type: 'message-accepted',
  sendId: 1,
  messageId: 'id',
  accepted: ['b@example.org'],
  rejected: [],
  attempts: 1,
};
const settledWith = (outcome: 'rejected' | 'not-sent' | 'unknown'): PoolEvent => ({
  type: 'message-rejected',
  sendId: 2,
  code: 'SMTP_X',
  outcome,
  attempts: 1,
});
const retry = (cause: 'slow-down' | 'reconnect', code: string): PoolEvent => ({
  type: 'retry-scheduled',
  sendId: 1,
  delayMs: 10,
  cause,
  code,
  nextAttempt: 2,
});

function tallyOf(events: readonly PoolEvent[], rate?: number): DeliveryTally {
  const tally = new DeliveryTally(rate);
  for (const event of events) tally.observe(event);
  return tally;
}

describe('DeliveryTally', () => {
  it('counts settled and delivered messages: rejected, not-sent and unknown are settled, not delivered', () => {
    const tally = tallyOf([
      accepted,
      settledWith('rejected'),
      settledWith('unknown'),
      settledWith('not-sent'),
      accepted,
    ]);
    expect(tally.done).toBe(5);
    expect(tally.snapshot()).toMatchObject({ done: 5, delivered: 2 });
  });

  it('counts retries by cause and by code', () => {
    const snapshot = tallyOf([
      retry('slow-down', 'SMTP_THROTTLED'),
      retry('slow-down', 'SMTP_THROTTLED'),
      retry('reconnect', 'SMTP_TOO_MANY_CONNECTIONS'),
    ]).snapshot();
    expect(snapshot).toMatchObject({
      retries: 3,
      retriesByCause: { 'slow-down': 2, reconnect: 1 },
      retriesByCode: { SMTP_THROTTLED: 2, SMTP_TOO_MANY_CONNECTIONS: 1 },
    });
  });

  it('traces the rate: throttling lowers it (counted), a recovery raises it (not counted)', () => {
    const events: PoolEvent[] = [
      { type: 'rate-changed', ratePerSecond: 7, previous: 14, reason: 'throttled' },
      { type: 'rate-changed', ratePerSecond: 3.5, previous: 7, reason: 'throttled' },
      { type: 'rate-changed', ratePerSecond: 5, previous: 3.5, reason: 'recovered' },
    ];
    expect(tallyOf(events, 14).snapshot()).toMatchObject({
      rateLowered: 2,
      rate: { start: 14, current: 5, lowest: 3.5 },
    });
    // Without --rate the course starts at the rate the pool had before its first change.
    expect(tallyOf(events).snapshot().rate).toEqual({ start: 14, current: 5, lowest: 3.5 });
    expect(tallyOf([]).snapshot().rate).toBeUndefined();
    expect(tallyOf([], 14).snapshot().rate).toEqual({ start: 14, current: 14, lowest: 14 });
  });

  it('counts connections lowered after 421, opened, recycled and closed by reason', () => {
    const snapshot = tallyOf([
      { type: 'concurrency-changed', concurrency: 2, previous: 4, reason: 'too-many-connections' },
      { type: 'concurrency-changed', concurrency: 3, previous: 2, reason: 'recovered' },
      { type: 'connection-opened', connectionId: 'c1', at: 0 },
      { type: 'connection-opened', connectionId: 'c2', at: 0 },
      { type: 'connection-recycled', connectionId: 'c1', reason: 'max-messages', messages: 50, ageMs: 9 },
      { type: 'connection-recycled', connectionId: 'c2', reason: 'max-messages', messages: 50, ageMs: 9 },
      { type: 'connection-closed', connectionId: 'c1', reason: 'broken' },
    ]).snapshot();
    expect(snapshot.concurrencyLowered).toBe(1);
    expect(snapshot.connections).toEqual({
      opened: 2,
      recycled: { 'max-messages': 2 },
      closed: { broken: 1 },
    });
  });

  it('records why the pool stopped: the daily quota, refused credentials', () => {
    const snapshot = tallyOf([
      { type: 'quota-stopped', code: 'SMTP_DAILY_QUOTA_EXCEEDED', reply: undefined },
      { type: 'credentials-refused', code: 'SMTP_AUTH_FAILED', reply: undefined },
    ]).snapshot();
    expect(snapshot.stopped).toEqual([
      'daily quota (SMTP_DAILY_QUOTA_EXCEEDED)',
      'credentials refused (SMTP_AUTH_FAILED)',
    ]);
  });

  it('status(): delivered (not settled), retries, throttling retries, connections, pace', () => {
    const tally = tallyOf(
      [
        accepted,
        settledWith('unknown'),
        retry('slow-down', 'SMTP_THROTTLED'),
        retry('reconnect', 'SMTP_TOO_MANY_CONNECTIONS'),
        { type: 'connection-opened', connectionId: 'c1', at: 0 },
        { type: 'rate-changed', ratePerSecond: 7, previous: 14, reason: 'throttled' },
      ],
      14,
    );
    expect(tally.status()).toBe('delivered 1  retries 2  throttled 1  conns 1  pace 7/s');
    expect(tallyOf([]).status()).toBe('delivered 0  retries 0  throttled 0  conns 0');
  });

  it('a snapshot is a copy: later events do not change it', () => {
    const tally = tallyOf([retry('slow-down', 'SMTP_THROTTLED')]);
    const before = tally.snapshot();
    tally.observe(retry('slow-down', 'SMTP_THROTTLED'));
    tally.observe({ type: 'quota-stopped', code: 'SMTP_DAILY_QUOTA_EXCEEDED', reply: undefined });
    expect(before.retriesByCause).toEqual({ 'slow-down': 1 });
    expect(before.stopped).toEqual([]);
  });
});
