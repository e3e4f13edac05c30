import { inspect } from 'node:util';
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { decodeBase64, encodeBase64 } from '../../src/session/base64.js';
import { answerChallenge, chooseMechanism, startAuth } from '../../src/session/sasl.js';
import { Secret } from '../../src/session/secret.js';

const hmac = () => new Uint8Array(16);

describe('base64', () => {
  test.prop([fc.uint8Array({ maxLength: 64 })], { numRuns: 300 })(
    'encodes like Buffer and round-trips',
    (bytes) => {
      const text = encodeBase64(bytes);
      expect(text).toBe(Buffer.from(bytes).toString('base64'));
      expect(decodeBase64(text)).toEqual(bytes);
    },
  );

  test.each(['abc', 'ab=c', 'YQ', 'YR==', 'Y===', ' YQ==', 'YQ==\n'])('refuses non-canonical %j', (text) => {
    expect(decodeBase64(text)).toBeUndefined();
  });
});

describe('SASL', () => {
  test('mechanism choice', () => {
    const creds = { user: 'u', pass: 'p' };
    expect(chooseMechanism(['LOGIN', 'PLAIN'], creds, undefined)).toBe('PLAIN');
    expect(chooseMechanism(['LOGIN', 'CRAM-MD5'], creds, undefined)).toBe('LOGIN');
    expect(chooseMechanism(['PLAIN', 'CRAM-MD5'], creds, hmac)).toBe('CRAM-MD5');
    expect(chooseMechanism(['XOAUTH2'], creds, undefined)).toBeUndefined();
    expect(chooseMechanism(['XOAUTH2'], { ...creds, method: 'XOAUTH2' }, undefined)).toBe('XOAUTH2');
    expect(chooseMechanism(['PLAIN'], { ...creds, method: 'LOGIN' }, undefined)).toBeUndefined();
    expect(chooseMechanism(['CRAM-MD5'], { ...creds, method: 'CRAM-MD5' }, undefined)).toBeUndefined();
  });

  test('an initial response too long for a 512-octet AUTH line waits for the empty 334 (RFC 4954 §4)', () => {
    const { command, exchange } = startAuth('XOAUTH2', { user: 'u', pass: 'x'.repeat(600) });
    expect(command).toEqual({ verb: 'AUTH', mechanism: 'XOAUTH2' });
    expect(answerChallenge(exchange, '', { user: 'u', pass: '' }, undefined)).toBe(exchange.deferred);
    expect(answerChallenge({ ...exchange, challenges: 1 }, 'e30=', { user: 'u', pass: '' }, undefined)).toBe(
      '',
    );
  });

  test('unexpected challenges are cancelled with *', () => {
    const creds = { user: 'u', pass: 'p' };
    expect(answerChallenge(startAuth('PLAIN', creds).exchange, '', creds, undefined)).toBe('*');
    expect(
      answerChallenge(
        { mechanism: 'LOGIN', deferred: undefined, challenges: 2, sent: [] },
        '',
        creds,
        undefined,
      ),
    ).toBe('*');
    expect(
      answerChallenge(
        { mechanism: 'CRAM-MD5', deferred: undefined, challenges: 0, sent: [] },
        'not base64!',
        creds,
        hmac,
      ),
    ).toBe('*');
  });

  test('Secret hides its value from inspect, JSON and String', () => {
    const secret = new Secret({ pass: 'hunter2' });
    expect(`${inspect(secret)} ${JSON.stringify({ secret })} ${String(secret)}`).not.toContain('hunter2');
    expect(secret.reveal().pass).toBe('hunter2');
  });
});
