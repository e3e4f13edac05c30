import { createHmac } from 'node:crypto';
import { fc, test as fcTest } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { SmtpUsageError } from '../../src/errors/smtp-error.js';
import {
  deriveSesSmtpPassword,
  deriveSesSmtpPasswordV2,
  looksLikeSecretAccessKey,
  looksLikeSesSmtpPassword,
} from '../../src/ses/password.js';
import { SES_V2_VECTORS as V2_VECTORS, SES_V4_VECTORS as V4_VECTORS } from '../support/ses-vectors.js';

describe('deriveSesSmtpPassword (SigV4)', () => {
  it.each(V4_VECTORS)('secret %s in %s', (secret, region, expected) => {
    expect(deriveSesSmtpPassword(secret, region)).toBe(expected);
  });

  it('does not refuse an unknown region and depends on it', () => {
    const a = deriveSesSmtpPassword('some+secret+key', 'xx-future-9');
    expect(looksLikeSesSmtpPassword(a)).toBe(true);
    expect(a).not.toBe(deriveSesSmtpPassword('some+secret+key', 'eu-central-1'));
  });

  it.each([
    ['', 'us-east-1', 'secretAccessKey'],
    ['some+secret+key', '', 'region'],
  ])('refuses empty input (%j, %j) naming the field', (secret, region, field) => {
    const call = () => deriveSesSmtpPassword(secret, region);
    expect(call).toThrow(SmtpUsageError);
    try {
      call();
    } catch (error) {
      expect(error).toMatchObject({ code: 'SMTP_INVALID_ARGUMENT', field });
    }
  });

  // A region that is not in AWS's form derives another key: SES answers 535 much later, for a typo.
  it.each(['US-EAST-1', 'us-east-1 ', ' us-east-1', 'Eu-West-1', 'us-east', 'us_east_1', 'us-east-1\n'])(
    'refuses the malformed region %j as sesSmtpHost does (field region, region not echoed)',
    (region) => {
      let thrown: unknown;
      try {
        deriveSesSmtpPassword('some+secret+key', region);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(SmtpUsageError);
      expect(thrown).toMatchObject({ code: 'SMTP_INVALID_ARGUMENT', field: 'region' });
      expect((thrown as Error).message).not.toContain(region);
      expect((thrown as Error).message).not.toContain('some+secret');
    },
  );

  // AWS's European Sovereign Cloud names its region eusc-de-east-1 (a four-letter partition prefix):
  // a well-formed region, so it must derive like any unknown one (it did before 76ed36d).
  it('derives for the well-formed region eusc-de-east-1', () => {
    expect(deriveSesSmtpPassword('some+secret+key', 'eusc-de-east-1')).toMatch(/^[A-Za-z0-9+/]+=*$/);
  });

  it('refuses a region that is not a string, naming the field', () => {
    expect(() => deriveSesSmtpPassword('some+secret+key', 42 as unknown as string)).toThrow(
      expect.objectContaining({ code: 'SMTP_INVALID_ARGUMENT', field: 'region' }),
    );
  });

  // A secret that is not a string (a number from a config file, a Buffer) is a usage error naming the field,
  // never a password derived from its String() form.
  it.each([42, ['some+secret+key'], Buffer.from('some+secret+key'), null])(
    'refuses the secret %j that is not a string, in V4 and V2',
    (secret) => {
      for (const derive of [
        () => deriveSesSmtpPassword(secret as unknown as string, 'eu-central-1'),
        () => deriveSesSmtpPasswordV2(secret as unknown as string),
      ]) {
        expect(derive).toThrow(SmtpUsageError);
        expect(derive).toThrow(
          expect.objectContaining({ code: 'SMTP_INVALID_ARGUMENT', field: 'secretAccessKey' }),
        );
      }
    },
  );

  it('never echoes the secret in an error', () => {
    try {
      deriveSesSmtpPassword('TOP+SECRET+VALUE', '');
      expect.unreachable();
    } catch (error) {
      expect(JSON.stringify((error as SmtpUsageError).toJSON())).not.toContain('TOP+SECRET');
      expect(String(error)).not.toContain('TOP+SECRET');
    }
  });

  fcTest.prop([fc.string({ minLength: 1 }), fc.stringMatching(/^[a-z]{2}-[a-z]+-\d$/)], { numRuns: 200 })(
    'always yields a 44-char "B" password of 0x04 + 32 bytes',
    (secret, region) => {
      const pass = deriveSesSmtpPassword(secret, region);
      const bytes = Buffer.from(pass, 'base64');
      expect(pass).toHaveLength(44);
      expect(bytes).toHaveLength(33);
      expect(bytes[0]).toBe(0x04);
      expect(looksLikeSesSmtpPassword(pass)).toBe(true);
    },
  );
});

describe('deriveSesSmtpPasswordV2', () => {
  it.each(V2_VECTORS)('secret %s', (secret, expected) => {
    expect(deriveSesSmtpPasswordV2(secret)).toBe(expected);
  });

  it('refuses an empty secret', () => {
    expect(() => deriveSesSmtpPasswordV2('')).toThrow(SmtpUsageError);
  });

  fcTest.prop([fc.string({ minLength: 1 })], { numRuns: 200 })(
    'is 0x02 || HMAC(secret, SendRawEmail)',
    (secret) => {
      const bytes = Buffer.from(deriveSesSmtpPasswordV2(secret), 'base64');
      const mac = createHmac('sha256', secret).update('SendRawEmail').digest();
      expect(bytes[0]).toBe(0x02);
      expect(bytes.subarray(1).equals(mac)).toBe(true);
    },
  );
});

describe('shape hints', () => {
  it('recognises derived passwords', () => {
    for (const [, , pass] of V4_VECTORS) expect(looksLikeSesSmtpPassword(pass)).toBe(true);
    for (const [, pass] of V2_VECTORS) expect(looksLikeSesSmtpPassword(pass)).toBe(true);
  });

  it.each([
    'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', // AWS's documented example secret (40 chars)
    'CMXhUYlu5Z3gSXVQORxlVa7XPaz91aGWdfHxvkOZdWZ2', // 44 chars, wrong version character
    'BMXhUYlu5Z3gSXVQORxlVa7XPaz91aGWdfHxvkOZdWZ', // 43 chars
    'BMXhUYlu5Z3gSXVQORxlVa7XPaz91aGWdfHxvkOZdWZ2=', // 45 chars
    'BMXhUYlu5Z3gSXVQORxlVa7XPaz91aGWdfHxvkOZ-WZ2', // not base64
    '',
  ])('does not take %j for an SMTP password', (pass) => {
    expect(looksLikeSesSmtpPassword(pass)).toBe(false);
  });

  it('recognises a raw secret access key', () => {
    expect(looksLikeSecretAccessKey('wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY')).toBe(true);
    expect(looksLikeSecretAccessKey('AJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY')).toBe(true);
  });

  it.each([
    'BMXhUYlu5Z3gSXVQORxlVa7XPaz91aGWdfHxvkOZdWZ2',
    'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKE',
    'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY1',
    'wJalrXUtnFEMI K7MDENG/bPxRfiCYEXAMPLEKEY',
    'hunter2',
  ])('does not take %j for a secret access key', (pass) => {
    expect(looksLikeSecretAccessKey(pass)).toBe(false);
  });
});
