/**
 * Credentials are scrubbed from what the server says while authenticating (threats.md §5;
 * session-auth-echo.test.ts). Outside AUTH the server's text is quoted as sent (failures.ts), but for
 * a password form of 8 or more characters (password-echo-after-auth.test.ts): a user name that is the
 * sender's own address, or a short password that is also a common word, must not blank out a later
 * refusal or a malformed reply, which the caller needs to read.
 */
import { describe, expect, test } from 'vitest';
import { ErrorCodes } from '../../src/errors/codes.js';
import { flush, Harness } from './harness.js';

const AUTH = { user: 'a@example.com', pass: 'not' };

function authenticated(): Harness {
  const h = new Harness({ security: 'implicit', auth: AUTH }).connect().server('250-mx\n250 AUTH PLAIN');
  h.server('235 ok');
  expect(h.session.state).toBe('ready');
  return h;
}

describe('after AUTH, replies are quoted as sent', () => {
  test('a MAIL refusal naming the sender (who is also the user) keeps its text', async () => {
    const h = authenticated();
    const sent = h.send();
    h.server('550 5.7.1 a@example.com is not allowed to send');
    h.server('250 reset');
    await flush();
    expect(sent.result).toMatchObject({
      ok: false,
      error: {
        code: ErrorCodes.SENDER_REJECTED,
        message: 'mail: server refused: 550 5.7.1 a@example.com is not allowed to send',
        reply: { lines: ['5.7.1 a@example.com is not allowed to send'] },
      },
    });
  });

  test('a 421 naming the user ends the session with its text intact', async () => {
    const h = authenticated();
    const sent = h.send();
    h.server('421 4.7.0 a@example.com: not now, too many sessions');
    await flush();
    expect(sent.result).toMatchObject({
      ok: false,
      error: {
        code: ErrorCodes.SERVICE_UNAVAILABLE,
        message: 'mail: server refused: 421 4.7.0 a@example.com: not now, too many sessions',
      },
    });
  });

  test('a malformed reply is quoted, in its own phase', async () => {
    const h = authenticated();
    const sent = h.send();
    h.session.receive(new TextEncoder().encode('2x0 not a reply\r\n'));
    await flush();
    expect(sent.result).toMatchObject({ ok: false, error: { code: ErrorCodes.REPLY_MALFORMED } });
    const error = (sent.result as { error: Error }).error;
    expect(error.message).toContain('2x0 not a reply');
    expect(error.message).not.toMatch(/^auth:/);
  });
});
