/**
 * A transaction that fails after the server refused some recipients still says which ones: the
 * send's error carries them in `rejectedRecipients` (README: "5xx recipients are reported"), so that
 * a caller, or the pool's next attempt, does not send to them again.
 */
import { describe, expect, test } from 'vitest';
import type { SmtpError } from '../../src/errors/smtp-error.js';
import { flush, Harness } from './harness.js';

const PIPELINED = '250-mx.example\n250 PIPELINING';
const TWO = { to: ['b@example.org', 'c@example.org'] };

/** The body is written, then the server answers the dot with `reply`. */
const afterDot = (reply: string) => (h: Harness) => {
  h.session.bodyFinished();
  h.server(reply);
};

async function failureAfter(end: (h: Harness) => void): Promise<SmtpError> {
  const h = new Harness().ready(PIPELINED);
  const sent = h.send(TWO);
  h.server('250 ok\n550 5.1.1 no such user\n250 ok\n354 go');
  end(h);
  await flush();
  const result = sent.result;
  if (result === undefined || result.ok) throw new Error('expected a failure');
  return result.error;
}

describe('recipients refused on the way to a failure', () => {
  test.each([
    ['the dot gets a 451', 'not-sent', afterDot('451 4.3.0 later')],
    ['the dot gets a 554', 'rejected', afterDot('554 5.6.0 refused')],
    [
      'the dot times out',
      'unknown',
      (h: Harness) => {
        h.session.bodyFinished();
        h.clock.increment(10 * 60_000 + 1);
      },
    ],
    [
      'the connection is lost after the dot',
      'unknown',
      (h: Harness) => {
        h.session.bodyFinished();
        h.session.closed(new Error('reset'));
      },
    ],
    ['a 421 ends the session after the dot', 'not-sent', afterDot('421 4.3.2 closing')],
  ] as const)('%s: the error (%s) lists the refused recipient', async (_, outcome, end) => {
    const error = await failureAfter(end);
    expect(error.outcome).toBe(outcome);
    expect(error.rejectedRecipients).toMatchObject([{ recipient: 'b@example.org', reply: { code: 550 } }]);
  });

  test('DATA refused (451): the error lists the refused recipient', async () => {
    const h = new Harness().ready(PIPELINED);
    const sent = h.send(TWO);
    h.server('250 ok\n550 5.1.1 no such user\n250 ok\n451 4.3.0 not now');
    h.server('250 reset');
    await flush();
    expect(sent.result).toMatchObject({
      ok: false,
      error: { outcome: 'not-sent', rejectedRecipients: [{ recipient: 'b@example.org' }] },
    });
  });

  test('nothing refused: no rejectedRecipients on the error', async () => {
    const h = new Harness().ready(PIPELINED);
    const sent = h.send(TWO);
    h.server('250 ok\n250 ok\n250 ok\n354 go');
    h.session.bodyFinished();
    h.server('451 4.3.0 later');
    await flush();
    expect(sent.result).toMatchObject({ ok: false });
    expect((sent.result as { error: SmtpError }).error.rejectedRecipients).toBeUndefined();
  });
});
