/**
 * A pipelined read taken as one step (reply-group.ts) must agree with the one-by-one steps on what is
 * behind it (threats.md §6): the 354 is the last reply a group may take, so a group whose 354 has the
 * start of another reply behind it is not taken; one by one, that 354 has a reply nobody asked for
 * behind it → REPLY_UNEXPECTED at once, and no body is written.
 */
import { expect, test } from 'vitest';
import { ErrorCodes } from '../../src/errors/codes.js';
import { flush, Harness } from './harness.js';

test.each([
  ['the start of another reply', '25'],
  ['another whole reply', '250 nobody asked\r\n'],
])('MAIL, RCPT and 354 in one read with %s behind → REPLY_UNEXPECTED, no body', async (_name, behind) => {
  const h = new Harness().ready('250-mx.example\n250 PIPELINING');
  const sent = h.send({ size: 10 });
  h.session.receive(new TextEncoder().encode(`250 ok\r\n250 ok\r\n354 go\r\n${behind}`));
  await flush();
  expect(sent.result).toMatchObject({
    ok: false,
    error: { code: ErrorCodes.REPLY_UNEXPECTED, phase: 'data' },
  });
  expect(h.effects.some((effect) => effect.type === 'writeBody')).toBe(false);
  expect(h.session.state).toBe('failed');
});
