/**
 * A transaction keeps its first failure: once the server has refused it (MAIL refused while the
 * pipelined RCPT replies are still being drained), an abort or a quit before its turn to settle
 * closes the session but does not turn that refusal into ABORTED / CLIENT_CLOSED — the caller still
 * learns it was 'rejected' (threats.md §7: 5xx is never retried unchanged).
 */
import { describe, expect, test } from 'vitest';
import { ErrorCodes } from '../../src/errors/codes.js';
import { flush, Harness } from './harness.js';

const PIPELINED = '250-mx.example\n250 PIPELINING';

function refusedMail(): { h: Harness; controller: AbortController; sent: ReturnType<Harness['send']> } {
  const h = new Harness().ready(PIPELINED);
  const controller = new AbortController();
  const sent = h.send({ to: ['b@example.org', 'c@example.org'] }, controller.signal);
  h.server('550 5.7.1 sender refused');
  expect(h.session.state).toBe('rcpt');
  return { h, controller, sent };
}

describe('an envelope already refused, then', () => {
  test('aborted: the session closes, the send keeps SENDER_REJECTED', async () => {
    const { h, controller, sent } = refusedMail();
    controller.abort();
    await flush();
    expect(h.closed).toBe(true);
    expect(sent.result).toMatchObject({
      ok: false,
      error: { code: ErrorCodes.SENDER_REJECTED, outcome: 'rejected' },
    });
  });

  test('quit: the session closes, the send keeps SENDER_REJECTED', async () => {
    const { h, sent } = refusedMail();
    await h.session.quit();
    await flush();
    expect(h.closed).toBe(true);
    expect(sent.result).toMatchObject({
      ok: false,
      error: { code: ErrorCodes.SENDER_REJECTED, outcome: 'rejected' },
    });
  });
});
