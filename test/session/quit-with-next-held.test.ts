/**
 * quit() mid-transaction (RFC 2920 §3.1: a next send held behind a pipelined one): the session closes
 * at once; the send in flight settles CLIENT_CLOSED in its own phase, and the held next — never
 * begun — CLIENT_CLOSED in phase closed; both not-sent and retryable (spec/error-codes.md).
 */
import { expect, test } from 'vitest';
import { ErrorCodes } from '../../src/errors/codes.js';
import { flush, Harness } from './harness.js';

test('quit with a next held: both sends settle CLIENT_CLOSED, not-sent, retryable', async () => {
  const h = new Harness().ready('250-mx.example\n250 PIPELINING');
  const first = h.send();
  const second = h.send({ to: ['c@example.org'] });
  await h.session.quit();
  await flush();
  expect(h.closed).toBe(true);
  expect(first.result).toMatchObject({
    ok: false,
    error: { code: ErrorCodes.CLIENT_CLOSED, outcome: 'not-sent', retryable: true, phase: 'mail' },
  });
  expect(second.result).toMatchObject({
    ok: false,
    error: { code: ErrorCodes.CLIENT_CLOSED, outcome: 'not-sent', retryable: true, phase: 'closed' },
  });
  expect(h.writes.join('')).not.toContain('c@example.org');
});
