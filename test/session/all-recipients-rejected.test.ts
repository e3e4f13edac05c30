/**
 * No recipient accepted (RFC 5321 §3.3: then no DATA): ALL_RECIPIENTS_REJECTED lists every refusal
 * (rejectedRecipients, in order); its message counts them and quotes the last, and its `reply` is
 * that last one.
 */
import { expect, test } from 'vitest';
import { ErrorCodes } from '../../src/errors/codes.js';
import { flush, Harness } from './harness.js';

test('the error quotes the last refusal, as its message says', async () => {
  const h = new Harness().ready('250-mx.example\n250 PIPELINING');
  const sent = h.send({ to: ['b@example.org', 'c@example.org'] });
  h.server('250 ok\n550 5.1.1 b: no such user\n551 5.1.6 c: moved\n554 5.5.1 no valid recipients');
  h.server('250 reset');
  await flush();
  expect(sent.result).toMatchObject({
    ok: false,
    error: {
      code: ErrorCodes.ALL_RECIPIENTS_REJECTED,
      message: 'rcpt: all 2 recipients were refused; last: 551 5.1.6 c: moved',
      reply: { code: 551 },
    },
  });
});
