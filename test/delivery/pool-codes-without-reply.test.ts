/**
 * A client behind the createClient seam may report SES's conditions by error code alone, with no
 * reply to classify (failure-action.ts): the pool still stops on the daily quota, slows down on
 * throttling and lowers its connection count on too many connections. And a quota stop never
 * turns a message that may have been delivered ('unknown') into one that waits to be sent again.
 */
import { describe, expect, it } from 'vitest';
import { type ErrorCode, ErrorCodes } from '../../src/errors/codes.js';
import { type Outcome, SmtpError } from '../../src/errors/smtp-error.js';
import { fail, message, ofType, sequence, setup, track } from './pool-fakes.js';

function codeOnly(code: ErrorCode, outcome: Outcome = 'not-sent'): SmtpError {
  return new SmtpError({
    code,
    origin: 'remote',
    outcome,
    retryable: outcome === 'not-sent',
    phase: 'data-end',
    message: `${code} (no reply)`,
  });
}

describe('SES conditions reported by code, without a reply', () => {
  it('SMTP_DAILY_QUOTA_EXCEEDED stops the pool', async () => {
    const { pool, clock, events } = setup(sequence(fail(codeOnly(ErrorCodes.DAILY_QUOTA_EXCEEDED))));
    const sending = track(pool.send(message(1)));
    await clock.advanceAsync(0);
    expect(pool.stats().quotaStopped).toBe(true);
    expect(ofType(events, 'quota-stopped')).toHaveLength(1);
    expect(sending.settled).toMatchObject([{ ok: false, error: { code: ErrorCodes.DAILY_QUOTA_EXCEEDED } }]);
  });

  it('SMTP_THROTTLED lowers the send rate', async () => {
    const { pool, clock, events } = setup(sequence(fail(codeOnly(ErrorCodes.THROTTLED))));
    track(pool.send(message(1)));
    await clock.advanceAsync(0);
    expect(ofType(events, 'rate-changed')).toMatchObject([{ reason: 'throttled' }]);
    expect(pool.stats().retriesByCause['slow-down']).toBe(1);
  });

  it('SMTP_TOO_MANY_CONNECTIONS lowers the connection count', async () => {
    const { pool, clock, events } = setup(sequence(fail(codeOnly(ErrorCodes.TOO_MANY_CONNECTIONS))), {
      maxConnections: 2,
    });
    track(pool.send(message(1)));
    await clock.advanceAsync(0);
    expect(ofType(events, 'concurrency-changed')).toMatchObject([
      { previous: 2, concurrency: 1, reason: 'too-many-connections' },
    ]);
    expect(pool.stats().retriesByCause['reduce-connections']).toBe(1);
  });
});

describe("a quota stop and an 'unknown' outcome", () => {
  it("with onQuotaExceeded 'wait', a send whose outcome is unknown settles unknown; resume() does not send it again", async () => {
    const { pool, server, clock } = setup(
      sequence(fail(codeOnly(ErrorCodes.DAILY_QUOTA_EXCEEDED, 'unknown'))),
      { onQuotaExceeded: 'wait' },
    );
    const sending = track(pool.send(message(1)));
    await clock.advanceAsync(0);
    expect(pool.stats().quotaStopped).toBe(true);
    expect(sending.settled).toMatchObject([{ ok: false, error: { outcome: 'unknown' } }]);
    pool.resume();
    await clock.advanceAsync(60_000);
    expect(server.calls).toHaveLength(1);
  });
});
