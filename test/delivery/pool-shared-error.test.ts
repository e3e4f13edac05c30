/**
 * Two sends on one pipelining connection can fail with one error object (a session that ends settles
 * the send behind the one in flight with the same 'not-sent' error): each caller must still get its
 * own history and refusals (attempt-history.ts, settlement.ts), not the last writer's.
 */
import { describe, expect, it } from 'vitest';
import { attemptsOf } from '../../src/delivery/attempt-history.js';
import { SmtpError } from '../../src/errors/smtp-error.js';
import { type Call, closedError, fail, message, ok, setup } from './pool-fakes.js';

describe('one error object failing two sends of a shared connection', () => {
  it('each caller gets its own error object, with its own attempt history', async () => {
    const { pool, clock, server } = setup(undefined, { maxConnections: 1, retry: false });
    server.pipelining = true;
    const shared = closedError('not-sent', 'mail');
    server.script = (call: Call) =>
      new Promise((resolve) => clock.setTimeout(() => resolve(call.index === 0 ? ok : fail(shared)), 100));
    await Promise.all([pool.send(message(0)), clock.advanceAsync(100)]);
    const one = pool.send(message(1)).catch((e: unknown) => e);
    const two = pool.send(message(2)).catch((e: unknown) => e);
    await clock.advanceAsync(0);
    expect(server.clients[0]?.running).toBe(2);
    await clock.advanceAsync(500);
    const [e1, e2] = await Promise.all([one, two]);
    // The first settled gets the client's error itself, the other a copy.
    expect(e1).not.toBe(e2);
    expect([e1, e2]).toContain(shared);
    expect(attemptsOf(e1)?.flatMap((a) => a.recipients)).toEqual(['r1@example.test']);
    expect(attemptsOf(e2)?.flatMap((a) => a.recipients)).toEqual(['r2@example.test']);
    // Each is the client's error as it was, with the same class, code, outcome and message.
    for (const error of [e1, e2]) {
      expect(error).toBeInstanceOf(SmtpError);
      expect(error).toBeInstanceOf(shared.constructor);
      expect(error).toMatchObject({ code: shared.code, outcome: 'not-sent', message: shared.message });
    }
  });
});
