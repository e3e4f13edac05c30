/**
 * RFC 5321 §4.5.3.2: each wait has its own timeout, configured by name (Timeouts). With every name
 * set to a different value, each state times out after its own: the greeting after `greeting`, not
 * after `command`.
 */
import { expect, test } from 'vitest';
import { ErrorCodes } from '../../src/errors/codes.js';
import { flush, Harness } from './harness.js';

test('the greeting waits `greeting` ms, not `command`', async () => {
  const h = new Harness({ timeouts: { greeting: 5_000, command: 60_000 } });
  h.session.connected();
  h.clock.increment(4_999);
  expect(h.closed).toBe(false);
  h.clock.increment(1);
  await expect(h.session.whenReady).rejects.toMatchObject({ code: ErrorCodes.TIMEOUT, phase: 'greeting' });
});

test('EHLO waits `command` ms, not `greeting`', async () => {
  const h = new Harness({ timeouts: { greeting: 60_000, command: 5_000 } }).connect();
  h.clock.increment(4_999);
  expect(h.closed).toBe(false);
  h.clock.increment(1);
  await expect(h.session.whenReady).rejects.toMatchObject({ code: ErrorCodes.TIMEOUT, phase: 'ehlo' });
});

test('BDAT: each chunk announced restarts the `dataBlock` timeout, as body progress does', async () => {
  const h = new Harness({ timeouts: { dataBlock: 1_000 } }).ready(
    '250-mx.example\n250-PIPELINING\n250 CHUNKING',
  );
  const sent = h.send();
  h.server('250 ok\n250 ok');
  for (let i = 0; i < 5; i++) {
    h.clock.increment(900);
    h.session.bodyChunk(10, false);
  }
  expect(h.closed).toBe(false);
  h.clock.increment(1_000);
  await flush();
  expect(sent.result).toMatchObject({ ok: false, error: { code: ErrorCodes.TIMEOUT, phase: 'body' } });
});
