import { describe, expect, it } from 'vitest';
import { prepareMessage, wireParts } from '../../src/transport/message-source.js';

// ES2024 resizable ArrayBuffer (Node 20 has it; the project's TypeScript lib predates it).
const Resizable = ArrayBuffer as unknown as new (
  length: number,
  options: { maxByteLength: number },
) => ArrayBuffer & { resize(length: number): void };

// A clean Uint8Array body is borrowed, not copied: if its buffer is resized after send(), the body
// is refused for DATA as for BDAT, even when the new content is itself clean (the octets the
// caller prepared, and the SIZE= announced for them, are no longer what would be written).
describe('a borrowed body whose length changed after it was prepared', () => {
  it.each([
    ['grew', 24],
    ['shrank', 4],
  ])('is refused for DATA when it %s', (_how, length) => {
    const buffer = new Resizable(12, { maxByteLength: 64 });
    const bytes = new Uint8Array(buffer); // tracks the buffer's length
    bytes.set(new TextEncoder().encode('abc\r\ndef\r\n\r\n'));
    const body = prepareMessage(bytes);
    if (body.kind !== 'encoded' || !body.borrowed) throw new Error('expected a borrowed body');
    buffer.resize(length);
    bytes.fill(0x61);
    bytes.set([0x0d, 0x0a], length - 2);
    expect(() => wireParts(body, false, { rescan: true })).toThrow(/changed after send/);
  });
});
