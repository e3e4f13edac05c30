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
