/**
 * A client that failed with something other than an SmtpError (INTERNAL_ERROR: a bug in it, or in a
 * custom factory's client) is in a state nobody knows: its connection is dropped as broken, never
 * handed to the next send (failure-action.ts breaksConnection).
 */
import { describe, expect, it } from 'vitest';
import { internalError } from '../../src/errors/internal-error.js';
import { fail, message, ofType, ok, sequence, setup } from './pool-fakes.js';

describe('a client bug (INTERNAL_ERROR)', () => {
  it('ends its connection: the next send opens a new one', async () => {
    const { pool, clock, events } = setup(sequence(ok, fail(internalError(new TypeError('bug'))), ok), {
      maxConnections: 1,
    });
    await Promise.all([pool.send(message(1)), clock.advanceAsync(0)]);
    await Promise.all([pool.send(message(2)).catch(() => {}), clock.advanceAsync(0)]);
    const [third] = await Promise.all([pool.send(message(3)), clock.advanceAsync(0)]);
    expect(third.attempts.map((a) => a.connectionId)).toEqual(['c2']);
    expect(ofType(events, 'connection-closed')).toMatchObject([{ connectionId: 'c1', reason: 'broken' }]);
  });
});
