import { describe, expect, it } from 'vitest';
import { DataEncoder } from '../../src/protocol/data-encoder.js';

const enc = (text: string): Uint8Array => new TextEncoder().encode(text);
const dec = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

// encodeAll(body) is push(body) then end(): after earlier pushes left a line open, an empty final
// body must still close that line before the terminator (RFC 5321 §4.5.2: the dot alone on a line),
// or the "." lands at the end of the open line and the message never ends.
describe('DataEncoder.encodeAll after push', () => {
  it('closes a line left open by push before the terminator, even for an empty body', () => {
    const encoder = new DataEncoder();
    expect(dec(encoder.push(enc('abc')))).toBe('abc');
    expect(dec(encoder.encodeAll(new Uint8Array(0)))).toBe('\r\n.\r\n');
  });

  it('is the same as push then end for any split', () => {
    const split = new DataEncoder();
    const joined = new DataEncoder();
    const wire = dec(split.push(enc('abc'))) + dec(split.encodeAll(enc('')));
    expect(wire).toBe(dec(joined.push(enc('abc'))) + dec(joined.end()));
  });
});
