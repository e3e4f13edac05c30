/**
 * threats.md §1: never AUTH without TLS. When TLS is not up (STARTTLS optional and not offered) the
 * session refuses AUTH for that reason first, as a usage error of our own configuration
 * (SMTP_AUTH_WITHOUT_TLS, field security) — whether or not the server offers a usable mechanism.
 */
import { describe, expect, test } from 'vitest';
import { ErrorCodes } from '../../src/errors/codes.js';
import { SmtpUsageError } from '../../src/errors/smtp-error.js';
import { Harness } from './harness.js';

const AUTH = { user: 'user', pass: 'pass' };

describe('starttls-opportunistic with credentials, STARTTLS not offered', () => {
  test.each([
    ['a usable mechanism', '250-mx\n250 AUTH PLAIN'],
    ['no usable mechanism', '250-mx\n250 AUTH GSSAPI'],
    ['no AUTH at all', '250-mx\n250 8BITMIME'],
  ])('%s → AUTH_WITHOUT_TLS (a usage error), nothing but EHLO (then QUIT) written', async (_name, ehlo) => {
    const h = new Harness({ security: 'starttls-opportunistic', auth: AUTH }).connect().server(ehlo);
    const error = await h.session.whenReady.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SmtpUsageError);
    expect(error).toMatchObject({ code: ErrorCodes.AUTH_WITHOUT_TLS, field: 'security', phase: 'auth' });
    expect(h.writes).toEqual(['EHLO client.example\r\n', 'QUIT\r\n']);
  });
});
