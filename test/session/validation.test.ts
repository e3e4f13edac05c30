// validatedRequest: the send-request checks (RFC 5321 §4.1.2 addresses, §4.5.3.1 line limits) run once;
// the frozen result cannot change afterwards, so Session.send() may trust it.
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors/codes.js';
import { isValidatedRequest, validatedRequest } from '../../src/session/validation.js';
import { Harness } from './harness.js';

describe('validatedRequest', () => {
  it('checks, then freezes the request and its recipients', () => {
    const request = validatedRequest({ from: 'a@example.com', to: ['b@example.org'], body: 'x' });
    expect(isValidatedRequest(request)).toBe(true);
    expect(() => (request.to as string[]).push('c@example.org')).toThrow(TypeError);
    expect(() => {
      (request as { from: string }).from = 'evil>\r\nRCPT TO:<x@y>';
    }).toThrow(TypeError);
    expect(() => validatedRequest({ from: 'a@example.com', to: ['b@exa mple.org'], body: 'x' })).toThrow(
      expect.objectContaining({ code: ErrorCodes.INVALID_ADDRESS }),
    );
  });

  it('a request that did not come from it is checked by Session.send()', async () => {
    const h = new Harness().ready();
    const sent = h.send({ to: ['b@exa mple.org'] });
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent.result).toMatchObject({ ok: false, error: { code: ErrorCodes.INVALID_ADDRESS } });
    // Refused before the machine saw it: nothing written, the session still usable.
    expect(h.writes).toEqual(['EHLO client.example\r\n']);
    expect(h.session.idle).toBe(true);
    expect(isValidatedRequest({ from: '', to: ['b@example.org'], body: 'x' })).toBe(false);
  });
});

describe('unstuffedSize (the RFC 1870 message size, BDAT count)', () => {
  const CHUNKED = '250-mx.example\n250-PIPELINING\n250-CHUNKING\n250 SIZE 1000';

  it.each([[-1], [1.5], ['12'], [Number.NaN]])(
    '%o is refused by send() naming the field, the session untouched',
    async (bad) => {
      const h = new Harness().ready(CHUNKED);
      const sent = h.send({ size: 13, unstuffedSize: bad as number });
      await new Promise((resolve) => setImmediate(resolve));
      expect(sent.result).toMatchObject({
        ok: false,
        error: { code: ErrorCodes.INVALID_ARGUMENT, field: 'unstuffedSize' },
      });
      expect(h.session.ended).toBe(false);
      expect(h.session.idle).toBe(true);
    },
  );

  it('over the server SIZE, without size, is refused before MAIL', async () => {
    const h = new Harness().ready(CHUNKED);
    const sent = h.send({ unstuffedSize: 5000 });
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent.result).toMatchObject({ ok: false, error: { code: ErrorCodes.MESSAGE_TOO_LARGE } });
    expect(h.writes.some((w) => w.startsWith('MAIL'))).toBe(false);
  });
});
