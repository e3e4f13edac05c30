/**
 * RFC 1870 §3: the message size is the octets sent after the 354, CRLF pairs included, but not the
 * terminating dot or the doubled dots of stuffing. That is what MAIL's SIZE= declares and what is
 * held against the server's SIZE (and our maxMessageSize) — for DATA as for BDAT, where it is also
 * the chunk's octet count.
 */
import { describe, expect, test } from 'vitest';
import { ErrorCodes } from '../../src/errors/codes.js';
import { prepareRequest } from '../../src/transport/send-request.js';
import { flush, Harness } from './harness.js';

/** Ten lines of 100 octets: a 1000-octet message. */
const THOUSAND = `${'x'.repeat(98)}\r\n`.repeat(10);
const DATA_CAPS = '250-mx.example\n250-PIPELINING\n250 SIZE 1000';
const BDAT_CAPS = '250-mx.example\n250-PIPELINING\n250-CHUNKING\n250 SIZE 1000';
const request = (message: string) => prepareRequest({ from: 'a@example.com', to: 'b@example.org', message });

describe('RFC 1870 message size', () => {
  test('SIZE= declares the message size, not the dot-stuffed wire size', () => {
    const h = new Harness().ready('250-mx.example\n250-PIPELINING\n250 SIZE 100000');
    // One leading dot: 1001 octets of message, 1002 + ".\r\n" on the wire.
    h.session.send(request(`.${THOUSAND}`)).catch(() => {});
    expect(h.lastWrite).toMatch(/^MAIL FROM:<a@example\.com> SIZE=1001\r\n/);
  });

  test.each([
    ['DATA', DATA_CAPS],
    ['BDAT', BDAT_CAPS],
  ])(
    '%s: a message of exactly the server SIZE goes; one octet more is refused before MAIL',
    async (_name, caps) => {
      const h = new Harness().ready(caps);
      const fits = h.send(request(THOUSAND));
      await flush();
      expect(fits.result).toBeUndefined();
      expect(h.lastWrite).toMatch(/^MAIL FROM:<a@example\.com> SIZE=1000\r\n/);

      const over = new Harness().ready(caps);
      const tooBig = over.send(request(`x${THOUSAND}`));
      await flush();
      expect(tooBig.result).toMatchObject({ ok: false, error: { code: ErrorCodes.MESSAGE_TOO_LARGE } });
      expect(over.writes).toHaveLength(1); // EHLO only
    },
  );

  test('maxMessageSize is a message size too: a body of dots at the limit goes', async () => {
    const h = new Harness({ maxMessageSize: 1000 }).ready('250-mx.example\n250 PIPELINING');
    const dots = `${'.'.repeat(98)}\r\n`.repeat(10); // 1000 octets, 10 stuffed dots on the wire
    const sent = h.send(request(dots));
    await flush();
    expect(sent.result).toBeUndefined();
    expect(h.effects.at(-1)).toMatchObject({ type: 'write' });
  });
});
