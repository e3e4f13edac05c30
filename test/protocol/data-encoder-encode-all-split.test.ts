import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { DataEncoder, encodeData } from '../../src/protocol/data-encoder.js';

const bytes = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));
const text = (data: Uint8Array): string => String.fromCharCode(...data);

/** push(head) then encodeAll(tail) on one encoder, as one wire string. */
function split(head: string, tail: string): string {
  const encoder = new DataEncoder();
  const first = text(encoder.push(bytes(head)));
  return first + text(encoder.encodeAll(bytes(tail)));
}

// encodeAll is push then end, whatever earlier pushes left pending: an open line, or a CR whose LF has
// not been seen yet (RFC 5321 §2.3.8: a bare CR becomes CRLF; §4.5.2: the terminator is CRLF "." CRLF,
// so a CR left bare before it would end the message with "\r.\r\n").
describe('DataEncoder.encodeAll after push: the split does not matter', () => {
  it('supplies the LF of a CR that ended the last push, even when the final body is empty', () => {
    expect(split('a\r', '')).toBe('a\r\n.\r\n');
    expect(split('a\r', '\n')).toBe('a\r\n.\r\n');
    expect(split('a\r', 'b')).toBe('a\r\nb\r\n.\r\n');
  });

  const piece = fc.constantFrom('\r', '\n', '\r\n', '.', 'a', '..', '\r.');
  const body = fc.array(piece, { maxLength: 12 }).map((parts) => parts.join(''));
  test.prop([body, fc.nat()], { numRuns: 1000 })('equals the one-shot encoding at any split', (input, at) => {
    const cut = at % (input.length + 1);
    expect(split(input.slice(0, cut), input.slice(cut))).toBe(text(encodeData(bytes(input)).bytes));
  });
});
