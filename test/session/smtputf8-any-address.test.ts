/**
 * RFC 6531 §3.4: a transaction needs SMTPUTF8 when ANY of its addresses is non-ASCII — the sender or
 * a single recipient among ASCII ones. Offered: MAIL carries SMTPUTF8; not offered: refused before
 * MAIL (NON_ASCII_WITHOUT_SMTPUTF8).
 */
import { describe, expect, test } from 'vitest';
import { ErrorCodes } from '../../src/errors/codes.js';
import { flush, Harness } from './harness.js';

const MIXED = { to: ['b@example.org', 'jörg@example.org'] };

describe('one non-ASCII recipient among ASCII ones', () => {
  test('SMTPUTF8 offered: MAIL carries SMTPUTF8', () => {
    const h = new Harness().ready('250-mx\n250-8BITMIME\n250 SMTPUTF8');
    h.send(MIXED);
    expect(h.lastWrite).toBe('MAIL FROM:<a@example.com> BODY=8BITMIME SMTPUTF8\r\n');
  });

  test('SMTPUTF8 not offered: refused before MAIL', async () => {
    const h = new Harness().ready('250-mx\n250 8BITMIME');
    const sent = h.send(MIXED);
    await flush();
    expect(sent.result).toMatchObject({
      ok: false,
      error: { code: ErrorCodes.NON_ASCII_WITHOUT_SMTPUTF8, outcome: 'not-sent' },
    });
    expect(h.writes).toEqual(['EHLO client.example\r\n']);
  });
});
