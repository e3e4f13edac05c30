/**
 * A transport that builds its Session before it dials (to have the options checked before any
 * connection exists, as examples/session-over-socket.ts does) reports a failed dial with closed()
 * before connected(). Nothing can have been written, so the outcome is not-sent; the code says what
 * createClient says for the same failure: SMTP_CONNECTION_FAILED for a dial that failed (its error as
 * cause), and the transport's own SmtpError when it classified the failure itself (SMTP_TIMEOUT for
 * its connect timer, SMTP_TLS_FAILED for an implicit-TLS handshake) — as tlsFailed() keeps it.
 */
import { describe, expect, test } from 'vitest';
import { ErrorCodes } from '../../src/errors/codes.js';
import { SmtpConnectionError, SmtpError, SmtpTimeoutError } from '../../src/errors/smtp-error.js';
import { Harness } from './harness.js';

const failureOf = (h: Harness) =>
  h.session.whenReady.then(
    () => undefined,
    (error: unknown) => error,
  );

describe('closed() before connected(): the dial failed', () => {
  test('a plain error (a refused port) → CONNECTION_FAILED in phase connect, not-sent, retryable, the error as cause', async () => {
    const h = new Harness();
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:25'), { code: 'ECONNREFUSED' });
    h.session.closed(refused);
    const error = await failureOf(h);
    expect(error).toBeInstanceOf(SmtpError);
    expect(error).toMatchObject({
      code: ErrorCodes.CONNECTION_FAILED,
      phase: 'connect',
      outcome: 'not-sent',
      retryable: true,
      cause: refused,
    });
    expect((error as SmtpError).message).toBe('connect: could not connect (ECONNREFUSED)');
    expect(h.session.ended).toBe(true);
    expect(h.writes).toEqual([]);
  });

  test('no error at all → CONNECTION_FAILED, without a cause', async () => {
    const h = new Harness();
    h.session.closed();
    const error = await failureOf(h);
    expect(error).toMatchObject({
      code: ErrorCodes.CONNECTION_FAILED,
      phase: 'connect',
      outcome: 'not-sent',
    });
    expect((error as SmtpError).message).toBe('connect: could not connect');
    expect((error as SmtpError).cause).toBeUndefined();
  });

  test("the transport's own SmtpError (its connect timer) is the failure, as given", async () => {
    const h = new Harness();
    const timeout = new SmtpTimeoutError({
      message: 'connecting to mx.example:587 timed out after 100 ms',
      phase: 'connect',
      outcome: 'not-sent',
      retryable: true,
    });
    h.session.closed(timeout);
    expect(await failureOf(h)).toBe(timeout);
  });

  test('an SmtpError that claims the message may have gone is not believed before connected(): it becomes the cause', async () => {
    const h = new Harness();
    const claim = new SmtpConnectionError({
      code: ErrorCodes.CONNECTION_CLOSED,
      message: 'x',
      phase: 'data-end',
      outcome: 'unknown',
    });
    h.session.closed(claim);
    const error = await failureOf(h);
    expect(error).toMatchObject({
      code: ErrorCodes.CONNECTION_FAILED,
      phase: 'connect',
      outcome: 'not-sent',
      cause: claim,
    });
  });

  test('after connected(), a close is still CONNECTION_CLOSED (phase greeting)', async () => {
    const h = new Harness();
    h.session.connected();
    h.session.closed(new Error('reset'));
    expect(await failureOf(h)).toMatchObject({ code: ErrorCodes.CONNECTION_CLOSED, phase: 'greeting' });
  });
});
