import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { ReplyParser } from '../../src/protocol/reply-parser.js';

// The parser grows its line buffer by doubling; after one long line (allowed by a custom
// maxLineOctets) it must not keep that buffer for the life of the connection. Private state, so
// the test weighs the ArrayBuffers a set of live parsers still hold after a garbage collection.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const PARSERS = 32;
const LINE_OCTETS = 512 * 1024;

/** One long reply line split so that the first piece is held (copied into the parser's buffer). */
function feedLongLine(parser: ReplyParser): void {
  const head = new Uint8Array(LINE_OCTETS).fill(0x78);
  head.set([0x32, 0x35, 0x30, 0x20]); // "250 "
  expect(parser.push(head)).toEqual([]);
  const replies = parser.push(new Uint8Array([0x0d, 0x0a]));
  expect(replies).toHaveLength(1);
  expect(parser.bufferedBytes).toBe(0);
}

function arrayBufferOctets(): number {
  gc();
  gc();
  return process.memoryUsage().arrayBuffers;
}

describe('ReplyParser: the buffer of a long line is released once the line is complete', () => {
  it('live parsers hold far less than the long lines they parsed', () => {
    const parsers = Array.from(
      { length: PARSERS },
      () => new ReplyParser({ maxLineOctets: 2 * LINE_OCTETS, maxReplyOctets: 2 * LINE_OCTETS }),
    );
    const before = arrayBufferOctets();
    for (const parser of parsers) feedLongLine(parser);
    const held = arrayBufferOctets() - before;
    // Kept buffers would add up to PARSERS × LINE_OCTETS (16 MiB); released ones to about nothing.
    expect(held).toBeLessThan((PARSERS * LINE_OCTETS) / 4);
    // The parsers still work after the release.
    for (const parser of parsers) {
      expect(parser.push(new TextEncoder().encode('250 OK\r\n'))).toEqual([{ code: 250, lines: ['OK'] }]);
    }
  });
});
