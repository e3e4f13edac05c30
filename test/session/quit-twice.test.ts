/**
 * quit() while QUIT is already written waits for the same 221 (session-machine.ts quit state ignores
 * a second quit.requested): QUIT is written once, and the session closes on the server's reply (or
 * its close), not at once.
 */
import { expect, test } from 'vitest';
import { Harness } from './harness.js';

test('a second quit() waits for the 221 like the first; QUIT is written once', async () => {
  const h = new Harness().ready('250-mx.example\n250 8BITMIME');
  let done = 0;
  void h.session.quit().then(() => done++);
  void h.session.quit().then(() => done++);
  await Promise.resolve();
  expect(h.writes.filter((write) => write === 'QUIT\r\n')).toHaveLength(1);
  expect(h.closed).toBe(false);
  expect(h.session.state).toBe('quit');
  h.server('221 bye');
  await new Promise((resolve) => setImmediate(resolve));
  expect(h.closed).toBe(true);
  expect(h.session.state).toBe('closed');
  expect(done).toBe(2);
});
