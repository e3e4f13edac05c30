import { describe, expect, it } from 'vitest';
import { SES_PROFILE } from '../../src/errors/classify.js';
import type { Reply } from '../../src/protocol/reply-types.js';
import { sesAdvice } from '../../src/ses/advice.js';

// What each context hint needs and what it must not fire on (the hints of advice.test.ts, edge by edge).
const reply = (code: number, ...lines: string[]): Reply => ({ code, lines });
const adviceOf = (id: string): string => {
  const advice = SES_PROFILE.rules.find((rule) => rule.id === id)?.advice;
  if (advice === undefined) throw new Error(`no rule ${id}`);
  return advice;
};
const SECRET_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const V4_PASSWORD = 'BMXhUYlu5Z3gSXVQORxlVa7XPaz91aGWdfHxvkOZdWZ2';
const V2_PASSWORD = 'AnkqhOiWEcszZZzTMCQbOY1sPGoLFgMH9zhp4eNgSjo4';

describe('sesAdvice: an error code without a reply', () => {
  it.each([
    ['SMTP_AUTH_REQUIRED', 'ses.530.auth-required'],
    ['SMTP_AUTH_FAILED', 'ses.535.credentials-invalid'],
    ['SMTP_TOO_MANY_CONNECTIONS', 'ses.421.too-many-connections'],
  ] as const)('%s gets the advice of %s', (code, id) => {
    expect(sesAdvice({ code })).toEqual([adviceOf(id)]);
  });

  it('a reply no rule with advice matches, and no phase: the advice of the error code', () => {
    // Not SES's wording, and a 552 of no known phase is not the generic size rule's (mail/body/data-end).
    const other = reply(552, 'Requested mail action aborted: exceeded storage allocation');
    expect(sesAdvice({ reply: other, code: 'SMTP_MESSAGE_TOO_LARGE' })).toEqual([
      adviceOf('ses.552.message-too-long'),
    ]);
    expect(sesAdvice({ reply: other })).toEqual([]);
  });
});

describe('sesAdvice: 535 Account not subscribed to SES is not a password problem', () => {
  it.each<[string, Reply]>([
    ['in any case', reply(535, 'ACCOUNT NOT SUBSCRIBED TO SES')],
    ['on any line', reply(535, 'Authentication failed:', 'Account not subscribed to SES')],
  ])('%s, with the error code the profile gives it too', (_label, notSubscribed) => {
    for (const pass of [SECRET_KEY, V4_PASSWORD, V2_PASSWORD]) {
      for (const code of [undefined, 'SMTP_AUTH_FAILED'] as const) {
        const hints = sesAdvice({ reply: notSubscribed, ...(code ? { code } : {}), phase: 'auth', pass });
        expect(hints).toEqual([adviceOf('ses.535.not-subscribed')]);
      }
    }
  });
});

describe('sesAdvice: password shapes', () => {
  const refused = reply(535, 'Authentication Credentials Invalid');
  it('a V4-shaped password gets the region hint only, a V2-shaped one the legacy hint only', () => {
    const v4 = sesAdvice({ reply: refused, pass: V4_PASSWORD, region: 'us-west-1' }).join('\n');
    expect(v4).toContain('derived per region');
    expect(v4).not.toMatch(/legacy|secret access key/);
    const v2 = sesAdvice({ reply: refused, pass: V2_PASSWORD, region: 'us-west-1' }).join('\n');
    expect(v2).toContain('legacy (Signature V2)');
    expect(v2).not.toMatch(/derived per region|secret access key/);
  });
});

describe('sesAdvice: TLS mode and port', () => {
  const implicitHint = (port: number) =>
    `Port ${port} expects TLS from the first byte: use security 'implicit' (or port 587 with 'starttls').`;
  const starttlsHint = (port: number) =>
    `Port ${port} starts in plaintext and upgrades with STARTTLS: use security 'starttls' (or port 465 with 'implicit').`;

  it.each([
    [465, undefined],
    [465, 'starttls'],
    [2465, 'starttls'],
    [2465, 'none'],
  ])(
    'a greeting timeout on implicit-TLS port %d with security %s: TLS from the first byte',
    (port, security) => {
      expect(
        sesAdvice({ code: 'SMTP_TIMEOUT', phase: 'greeting', port, ...(security ? { security } : {}) }),
      ).toEqual([implicitHint(port)]);
    },
  );

  it('a connect timeout on 465 is the network, not the TLS mode', () => {
    expect(sesAdvice({ code: 'SMTP_TIMEOUT', phase: 'connect', port: 465, security: 'starttls' })).toEqual([
      'Check that your network or firewall allows outbound connections to port 465.',
    ]);
  });

  it.each([
    [587, undefined, 'connect'],
    [587, 'implicit', 'tls'],
    [2587, 'implicit', undefined],
    [25, undefined, 'tls'],
  ] as const)(
    'a TLS failure on STARTTLS port %d with security %s in phase %s: plaintext first',
    (port, security, phase) => {
      expect(
        sesAdvice({
          code: 'SMTP_TLS_FAILED',
          port,
          ...(security ? { security } : {}),
          ...(phase ? { phase } : {}),
        }),
      ).toEqual([starttlsHint(port)]);
    },
  );
});

describe('sesAdvice: a closed connection', () => {
  it('with a reply, the reply says why: no recycling hint', () => {
    const maxCount = reply(421, 'Connection closed by server. Maximum message count per session reached.');
    expect(sesAdvice({ code: 'SMTP_CONNECTION_CLOSED', reply: maxCount, phase: 'mail' })).toEqual([
      adviceOf('ses.421.max-message-count'),
    ]);
  });
});
