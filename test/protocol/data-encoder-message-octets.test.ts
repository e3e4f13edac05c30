import { describe, expect, it } from 'vitest';
import { DataEncoder } from '../../src/protocol/data-encoder.js';

const enc = (text: string): Uint8Array => new TextEncoder().encode(text);

// RFC 1870 §3: the message size is the body as sent, without the dots stuffing added and without
// the terminating ".\r\n" (the body writer compares it with the SIZE limit after end()).
describe('DataEncoder.messageOctets', () => {
  it('counts the body with its line endings, not the stuffed dots nor the terminator', () => {
    const encoder = new DataEncoder();
    encoder.push(enc('.a\r\nb'));
    expect(encoder.messageOctets).toBe(5);
    encoder.end();
    expect(encoder.encodedOctets).toBe(11); // "..a\r\nb\r\n.\r\n"
    expect(encoder.messageOctets).toBe(7); // ".a\r\nb\r\n"
  });

  it('counts no terminator for BDAT data, which has none', () => {
    const encoder = new DataEncoder({ dotStuffing: false, terminator: false });
    encoder.push(enc('abc\r\n'));
    encoder.end();
    expect(encoder.encodedOctets).toBe(5);
    expect(encoder.messageOctets).toBe(5);
  });
});
