/**
 * A Session's `write` effects own their bytes: a transport may keep, change or transfer them (to a
 * worker, say), and what it reaches through `bytes.buffer` is that flight and nothing else — not
 * another session's envelope, as a view of a shared encoding buffer would show. (Only createClient's
 * own connection, which writes them straight to its socket, shares one: command.ts, connection.ts.)
 */
import { expect, test } from 'vitest';
import { Harness } from './harness.js';

test("every write's bytes are a buffer of their own; transferring one breaks no other session", () => {
  const a = new Harness().ready('250-mx.example\n250-PIPELINING\n250 SIZE 1000');
  const b = new Harness().ready('250-mx.example\n250-PIPELINING\n250 SIZE 1000');
  a.send({ from: 'ceo@tenant-a.example', to: ['secret@tenant-a.example'] });
  const writes = [...a.effects, ...b.effects].flatMap((e) => (e.type === 'write' ? [e.bytes] : []));
  expect(writes.length).toBeGreaterThan(2);
  for (const bytes of writes) expect(bytes.byteLength).toBe(bytes.buffer.byteLength);
  const [first] = b.effects.flatMap((e) => (e.type === 'write' ? [e.bytes] : []));
  structuredClone(first?.buffer, { transfer: [first?.buffer as ArrayBuffer] });
  b.send({ from: 'x@tenant-b.example', to: ['y@tenant-b.example'] });
  expect(b.lastWrite).toContain('MAIL FROM:<x@tenant-b.example>');
  expect(a.closed).toBe(false);
});
