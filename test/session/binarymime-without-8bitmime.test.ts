/**
 * RFC 3030 §3: BODY=BINARYMIME declares the octets itself, so a binary body needs CHUNKING and
 * BINARYMIME but not 8BITMIME — even when the request also says it has 8-bit data. The body is handed
 * to the transport with 8-bit octets allowed.
 */
import { expect, test } from 'vitest';
import { Harness } from './harness.js';

test('binary (and 8-bit) body, server without 8BITMIME: BODY=BINARYMIME, BDAT, 8-bit octets allowed', () => {
  const h = new Harness().ready('250-mx.example\n250-PIPELINING\n250-CHUNKING\n250 BINARYMIME');
  h.send({
    binary: true,
    eightBit: true,
    size: 5,
    unstuffedSize: 5,
    body: new Uint8Array([0, 1, 2, 255, 10]),
  });
  expect(h.lastWrite).toBe(
    'MAIL FROM:<a@example.com> BODY=BINARYMIME\r\nRCPT TO:<b@example.org>\r\nBDAT 5 LAST\r\n',
  );
  expect(h.effects.at(-1)).toMatchObject({
    type: 'writeBody',
    transfer: 'bdat',
    allow8bit: true,
    announcedOctets: 5,
  });
});
