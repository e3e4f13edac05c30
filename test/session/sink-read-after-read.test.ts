/**
 * A read the transcript sink feeds in while it is shown a reply of the read being taken (re-entrant
 * receive()) comes after the rest of that read: replies stay in order (reply-intake.ts), even when
 * the read's replies are taken one by one (no group step: a refusal among them).
 */
import { expect, test } from 'vitest';
import type { Session } from '../../src/session/session.js';
import { flush, Harness } from './harness.js';

const PIPELINED = '250-mx.example\n250-PIPELINING\n250 SIZE 1000';

test('a read fed from the sink on the first reply of a multi-reply read goes after the rest of that read', async () => {
  let session: Session | undefined;
  let fed = false;
  const h = new Harness({
    onTranscript: (entry) => {
      if (!fed && entry.direction === 'server' && entry.text === '250 mail ok') {
        fed = true;
        session!.receive(new TextEncoder().encode('250 Ok queued A\r\n')); // the next read: the dot's reply
      }
    },
  });
  session = h.session;
  h.ready(PIPELINED);
  const a = h.send({ to: ['b@example.org', 'c@example.org'], size: 4 });
  // A refusal in the read: no group step, the replies go one by one.
  h.server('250 mail ok\n550 5.1.1 no b\n250 ok c\n354 go');
  await flush();
  expect(fed).toBe(true);
  // The fed reply answered the dot: A delivered to c, b refused at RCPT.
  expect(a.result).toMatchObject({
    ok: true,
    value: {
      accepted: ['c@example.org'],
      rejected: [{ recipient: 'b@example.org' }],
      reply: { code: 250, lines: ['Ok queued A'] },
    },
  });
  expect(h.session.state).toBe('ready');
});
