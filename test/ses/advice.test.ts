import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { SES_PROFILE } from '../../src/errors/classify.js';
import type { Reply } from '../../src/protocol/reply-types.js';
import { type SesAdviceInput, sesAdvice } from '../../src/ses/advice.js';

const reply = (code: number, text: string): Reply => ({ code, lines: [text] });
const adviceOf = (id: string): string => {
  const advice = SES_PROFILE.rules.find((rule) => rule.id === id)?.advice;
  if (advice === undefined) throw new Error(`no rule ${id}`);
  return advice;
};
const SECRET_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'; // AWS's documented example secret (40 chars)
const V4_PASSWORD = 'BMXhUYlu5Z3gSXVQORxlVa7XPaz91aGWdfHxvkOZdWZ2';
const V2_PASSWORD = 'AnkqhOiWEcszZZzTMCQbOY1sPGoLFgMH9zhp4eNgSjo4';

describe('sesAdvice', () => {
  it('gives the profile advice for every SES rule that is not a success', () => {
    for (const rule of SES_PROFILE.rules.filter((r) => r.action !== 'continue')) {
      const text = rule.text?.source.replaceAll('.*', ' ').replaceAll('\\b', '') ?? '';
      expect(sesAdvice({ reply: reply(rule.code, text), phase: 'data-end' })).toContain(rule.advice);
    }
  });

  it('says nothing for successes', () => {
    expect(sesAdvice({ reply: reply(250, 'Ok 0101019dec617b98-000000'), phase: 'data-end' })).toEqual([]);
    expect(sesAdvice({})).toEqual([]);
  });

  it('535 with a 40-character password: a secret key used as the SMTP password, with the region', () => {
    const hints = sesAdvice({
      reply: reply(535, 'Authentication Credentials Invalid'),
      phase: 'auth',
      pass: SECRET_KEY,
      host: 'email-smtp.eu-west-1.amazonaws.com',
    });
    expect(hints[0]).toBe(adviceOf('ses.535.credentials-invalid').replace('<region>', 'eu-west-1'));
    expect(hints).toContain(
      'This looks like an AWS secret access key, not an SMTP password; derive it with `smtp-machine password --region eu-west-1`.',
    );
    expect(hints.join('\n')).not.toContain(SECRET_KEY);
  });

  it('the secret-key hint needs a refused login and the 40-character shape', () => {
    const secretHint = (input: SesAdviceInput) =>
      sesAdvice(input).some((hint) => hint.includes('secret access key'));
    expect(secretHint({ code: 'SMTP_AUTH_FAILED', pass: SECRET_KEY })).toBe(true);
    expect(secretHint({ reply: reply(535, 'x'), pass: V4_PASSWORD })).toBe(false);
    expect(secretHint({ reply: reply(535, 'x'), pass: `${SECRET_KEY}x` })).toBe(false);
    expect(secretHint({ reply: reply(454, 'Temporary authentication failure'), pass: SECRET_KEY })).toBe(
      false,
    );
  });

  it('535 with a V4-shaped password: the region; with a V2 one: legacy', () => {
    const v4 = sesAdvice({
      reply: reply(535, 'Authentication Credentials Invalid'),
      pass: V4_PASSWORD,
      region: 'us-west-1',
    });
    expect(v4).toContain(
      'SMTP passwords are derived per region: make sure this one was derived for us-west-1.',
    );
    const v2 = sesAdvice({ code: 'SMTP_AUTH_FAILED', pass: V2_PASSWORD });
    expect(
      v2.some((hint) => hint.includes('legacy (Signature V2)') && hint.includes('--region <region>')),
    ).toBe(true);
  });

  it('port 25 connect timeout: EC2 restriction; other ports: the firewall', () => {
    expect(sesAdvice({ code: 'SMTP_TIMEOUT', phase: 'connect', port: 25 })).toEqual([
      'Amazon EC2 restricts outbound port 25 by default; use port 587 (STARTTLS) or 465 (implicit TLS).',
    ]);
    expect(sesAdvice({ code: 'SMTP_CONNECTION_FAILED', port: 587 })).toEqual([
      'Check that your network or firewall allows outbound connections to port 587.',
    ]);
    // Once connected, a time-out gets the MTU advice (advice-timeouts.test.ts), not the port's.
    expect(sesAdvice({ code: 'SMTP_TIMEOUT', phase: 'data-end', port: 25 }).join('\n')).not.toContain(
      'port 25',
    );
  });

  it('TLS mode and port mix-ups', () => {
    expect(sesAdvice({ code: 'SMTP_TIMEOUT', phase: 'greeting', port: 465, security: 'starttls' })).toEqual([
      "Port 465 expects TLS from the first byte: use security 'implicit' (or port 587 with 'starttls').",
    ]);
    expect(sesAdvice({ code: 'SMTP_TIMEOUT', phase: 'greeting', port: 465, security: 'implicit' })).toEqual(
      [],
    );
    expect(sesAdvice({ code: 'SMTP_TLS_FAILED', phase: 'connect', port: 587, security: 'implicit' })).toEqual(
      [
        "Port 587 starts in plaintext and upgrades with STARTTLS: use security 'starttls' (or port 465 with 'implicit').",
      ],
    );
    expect(sesAdvice({ code: 'SMTP_TLS_FAILED', phase: 'tls', port: 587, security: 'starttls' })).toEqual([]);
  });

  it('maps error codes without a reply to the SES rule advice', () => {
    expect(sesAdvice({ code: 'SMTP_THROTTLED' })).toEqual([adviceOf('ses.454.max-send-rate')]);
    expect(sesAdvice({ code: 'SMTP_DAILY_QUOTA_EXCEEDED' })).toEqual([adviceOf('ses.454.daily-quota')]);
    expect(sesAdvice({ code: 'SMTP_TOO_MANY_RECIPIENTS' })).toEqual([adviceOf('ses.554.recipient-count')]);
    expect(sesAdvice({ code: 'SMTP_MESSAGE_TOO_LARGE' })).toEqual([adviceOf('ses.552.message-too-long')]);
    expect(sesAdvice({ code: 'SMTP_CONNECTION_CLOSED', phase: 'mail' })[0]).toMatch(/idle for about 10 s/);
  });

  it('554 not verified and 530 STARTTLS-first (generic fallback)', () => {
    const notVerified = sesAdvice({
      reply: reply(
        554,
        'Message rejected: Email address is not verified. The following identities failed the check in region US-EAST-1: a@b.example',
      ),
    });
    expect(notVerified).toEqual([adviceOf('ses.554.not-verified')]);
    expect(notVerified[0]).toMatch(/in this region.*sandbox, verify every recipient/s);
    expect(sesAdvice({ reply: reply(530, 'Must issue a STARTTLS command first'), phase: 'auth' })[0]).toMatch(
      /requires TLS/,
    );
  });

  test.prop(
    [
      fc.record(
        {
          code: fc.constantFrom('SMTP_AUTH_FAILED', 'SMTP_TIMEOUT', 'SMTP_TLS_FAILED', 'SMTP_THROTTLED'),
          reply: fc.record({
            code: fc.integer({ min: 200, max: 599 }),
            lines: fc.array(fc.string(), { maxLength: 2 }),
          }),
          port: fc.constantFrom(25, 465, 587, 2465, 2587),
          pass: fc.oneof(
            fc.stringMatching(/^[A-Za-z0-9+/]{40}$/),
            fc.stringMatching(/^[AB][A-Za-z0-9+/]{43}$/),
            fc.string(),
          ),
        },
        { requiredKeys: [] },
      ),
    ],
    { numRuns: 300 },
  )('never repeats a hint and never reveals the password', (input) => {
    const hints = sesAdvice(input);
    expect(new Set(hints).size).toBe(hints.length);
    if (input.pass !== undefined && input.pass.length >= 8) {
      for (const hint of hints) expect(hint).not.toContain(input.pass);
    }
  });
});

describe('535 Account not subscribed to SES (its own row of the troubleshooting table)', () => {
  it('gets the subscription advice and none of the password-shape hints', () => {
    const reply = { code: 535, lines: ['Account not subscribed to SES'] };
    for (const pass of [
      'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      `B${'a'.repeat(43)}`,
      `A${'a'.repeat(43)}`,
    ]) {
      const hints = sesAdvice({ reply, phase: 'auth', pass, region: 'eu-central-1' });
      expect(hints.join('\n')).not.toMatch(/secret access key|derived per region|legacy/);
      expect(hints.length).toBeGreaterThan(0);
    }
  });
});
