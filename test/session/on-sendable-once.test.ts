/**
 * onSendable tells the owner each time the session STARTS to accept a send (session.ts
 * #checkSendable), once: an owner that was told and did not send is not asked again by every later
 * read — not even by a pipelined read whose one step would make room (#handOverAhead asks only an
 * owner not already told). It is told again only after the session stopped accepting sends.
 */
import { expect, test } from 'vitest';
import { flush, Harness } from './harness.js';

test('told once while the session keeps accepting, again once it accepts after it did not', async () => {
  let told = 0;
  const h = new Harness({ onSendable: () => told++ }).ready('250-mx.example\n250 PIPELINING');
  expect(told).toBe(1);
  const first = h.send({ size: 10 });
  expect(h.session.acceptsSend).toBe(true); // one pipelined transaction: a next may be held
  h.server('250 ok\n250 ok\n354 go'); // one step, to dataEnd: still accepting
  expect(h.session.state).toBe('dataEnd');
  expect(told).toBe(1);
  const second = h.send({ size: 10, to: ['c@example.org'] }); // held as next: no longer accepting
  expect(h.session.acceptsSend).toBe(false);
  h.server('250 Ok id1\n250 ok\n250 ok\n354 go');
  await flush();
  expect(first.result).toMatchObject({ ok: true });
  expect(told).toBe(2); // accepting again once the dot's 250 settled the first
  h.server('250 Ok id2');
  await flush();
  expect(second.result).toMatchObject({ ok: true });
  expect(told).toBe(2); // ready: still accepting, not told again
});
