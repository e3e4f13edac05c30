/**
 * quit() or drop() before the session is ready: `whenReady` rejects as the README says for what was
 * in progress — SMTP_CLIENT_CLOSED, named for the setup phase it stood in, not-sent — not as a lost
 * connection (SMTP_CONNECTION_CLOSED, phase 'closed', retryable), which would read as a network
 * failure. Found by a review that wrote a transport from the README alone.
 */
import { describe, expect, test } from 'vitest';
import { ErrorCodes } from '../../src/errors/codes.js';
import { Harness } from './harness.js';

describe('leaving during the setup', () => {
  test.each(['quit', 'drop'] as const)(
    '%s() while EHLO is unanswered: CLIENT_CLOSED in ehlo',
    async (how) => {
      const h = new Harness().connect();
      expect(h.session.phase).toBe('ehlo');
      const ready = h.session.whenReady.then(
        () => undefined,
        (error: unknown) => error,
      );
      if (how === 'quit') await h.session.quit();
      else h.session.drop();
      expect(await ready).toMatchObject({
        code: ErrorCodes.CLIENT_CLOSED,
        phase: 'ehlo',
        outcome: 'not-sent',
      });
      expect(h.session.ended).toBe(true);
    },
  );

  test('drop() before the greeting: CLIENT_CLOSED in greeting', async () => {
    const h = new Harness();
    h.session.connected();
    const ready = h.session.whenReady.then(
      () => undefined,
      (error: unknown) => error,
    );
    h.session.drop();
    expect(await ready).toMatchObject({ code: ErrorCodes.CLIENT_CLOSED, phase: 'greeting' });
  });

  test('a refusal still names itself, and a quit() once ready changes nothing', async () => {
    const refused = new Harness().connect('554 5.3.2 no');
    await expect(refused.session.whenReady).rejects.toMatchObject({ code: ErrorCodes.GREETING_REFUSED });
    const ready = new Harness().ready();
    await ready.session.whenReady;
    const quitting = ready.session.quit();
    ready.server('221 bye');
    await quitting;
    expect(ready.session.error).toBeUndefined();
  });
});
