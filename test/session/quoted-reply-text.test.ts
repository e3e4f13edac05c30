/**
 * How an error quotes the server's reply (failures.ts describeReply; threats.md §5, §6): outside AUTH
 * the code and the text, cut at 200 characters with an ellipsis (an error message is a log line); while
 * authenticating the code alone — servers echo user names in 535 text in forms a scrub may not
 * recognise, so nothing of the text is quoted.
 */
import { describe, expect, test } from 'vitest';
import { ErrorCodes } from '../../src/errors/codes.js';
import { flush, Harness } from './harness.js';

describe('the reply text quoted in an error message', () => {
  test('a long MAIL refusal is cut at 200 characters', async () => {
    const h = new Harness().ready('250-mx.example\n250 8BITMIME');
    const sent = h.send();
    h.server(`550 ${'x'.repeat(300)}`);
    h.server('250 reset');
    await flush();
    const error = (sent.result as { error: Error }).error;
    expect(error.message).toBe(`mail: server refused: 550 ${'x'.repeat(200)}…`);
  });

  test('while authenticating only the code is quoted, even text that names no credential', async () => {
    const h = new Harness({ security: 'implicit', auth: { user: 'AKIAEXAMPLEUSER', pass: 'secret' } })
      .connect()
      .server('250-mx\n250 AUTH PLAIN');
    h.server('535 5.7.8 Authentication failed for akiaexampleuser (case folded)');
    const error = await h.session.whenReady.then(
      () => undefined,
      (e: unknown) => e as Error & { code: string },
    );
    expect(error?.code).toBe(ErrorCodes.AUTH_FAILED);
    expect(error?.message).toBe('auth: server refused: 535');
  });
});
