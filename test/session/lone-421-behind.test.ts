/**
 * threats.md §6 / RFC 5321 §3.8: behind the one reply outstanding, only ONE WHOLE 421 and nothing more
 * is the server closing (the reply counts, then the 421 ends the session). Any other refusal behind
 * it, a 421 with more bytes after it, or more than one reply before the 421, answers nothing we asked:
 * REPLY_UNEXPECTED at once (session-unasked.test.ts has the plain cases).
 */
import { describe, expect, test } from 'vitest';
import { ErrorCodes } from '../../src/errors/codes.js';
import { flush, Harness } from './harness.js';

const LOCKSTEP = '250-mx.example\n250 8BITMIME';
const DELIVERED = '250 Ok queued as LONE1';

/** Lock-step DATA, body written: the dot's reply is the one outstanding. */
function atTheDot(): { h: Harness; sent: ReturnType<Harness['send']> } {
  const h = new Harness().ready(LOCKSTEP);
  const sent = h.send();
  h.server('250 ok').server('250 ok').server('354 go');
  h.session.bodyFinished();
  return { h, sent };
}

describe('what is not a lone 421 behind the dot’s reply', () => {
  test.each([
    ['a 554 (a refusal, not the server closing)', `${DELIVERED}\r\n554 5.3.0 bye\r\n`],
    ['a 450', `${DELIVERED}\r\n450 4.3.0 later\r\n`],
    ['a 421 with the start of another reply behind it', `${DELIVERED}\r\n421 4.3.2 closing\r\n25`],
    ['two replies, the last a 421', `${DELIVERED}\r\n250 extra\r\n421 4.3.2 closing\r\n`],
  ])('%s → REPLY_UNEXPECTED, outcome unknown', async (_name, bytes) => {
    const { h, sent } = atTheDot();
    h.session.receive(new TextEncoder().encode(bytes));
    await flush();
    expect(sent.result).toMatchObject({
      ok: false,
      error: { code: ErrorCodes.REPLY_UNEXPECTED, outcome: 'unknown' },
    });
    expect(h.session.state).toBe('failed');
  });

  test('in EHLO: a 554 behind its 250 → REPLY_UNEXPECTED, nothing more written', async () => {
    const h = new Harness().connect();
    h.session.receive(new TextEncoder().encode('250 mx.example\r\n554 5.3.0 bye\r\n'));
    await expect(h.session.whenReady).rejects.toMatchObject({
      code: ErrorCodes.REPLY_UNEXPECTED,
      phase: 'ehlo',
    });
    expect(h.writes).toEqual(['EHLO client.example\r\n']);
  });
});
