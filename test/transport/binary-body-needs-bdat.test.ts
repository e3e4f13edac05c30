import { describe, expect, it } from 'vitest';
import { prepareBinary, wireParts } from '../../src/transport/message-source.js';

// RFC 3030 §3: BODY=BINARYMIME can only be sent with BDAT; a binary body's octets are never put in
// a DATA transfer (which would neither stuff nor terminate them).
describe('a binary body', () => {
  it('goes as its own octets over BDAT', () => {
    const bytes = new Uint8Array([0x00, 0x0d, 0x2e, 0xff]);
    expect(wireParts(prepareBinary(bytes), true, { rescan: true })).toEqual([bytes]);
  });

  it('is refused for DATA', () => {
    expect(() => wireParts(prepareBinary('.\r\n'), false, { rescan: true })).toThrow(
      /only be sent with BDAT/,
    );
  });
});
