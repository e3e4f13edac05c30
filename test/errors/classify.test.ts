import { readFileSync } from 'node:fs';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  type Action,
  asRcptRefusal,
  classifyReply,
  type Disposition,
  findRule,
  GENERIC_PROFILE,
  type ProviderProfile,
  SES_PROFILE,
} from '../../src/errors/classify.js';
import { checkProfile } from '../../src/errors/profile-check.js';
import type { Phase } from '../../src/errors/smtp-error.js';
import type { Reply } from '../../src/protocol/reply-types.js';

const PHASES = [
  'connect',
  'greeting',
  'ehlo',
  'helo',
  'starttls',
  'tls',
  'auth',
  'ready',
  'mail',
  'rcpt',
  'data',
  'body',
  'data-end',
  'rset',
  'quit',
  'closed',
] as const satisfies readonly Phase[];
// Fails to compile if Phase gains a member this list lacks.
const everyPhaseListed: Exclude<Phase, (typeof PHASES)[number]> extends never ? true : false = true;

interface SpecRow {
  id: string;
  source: 'page' | 'observed';
  code: number;
  text: string;
  description: string;
  phase: Phase;
  expected: Omit<Disposition, 'rule'>;
  advice: string;
}
const spec = JSON.parse(readFileSync(new URL('../../spec/ses-replies.json', import.meta.url), 'utf8')) as {
  rows: SpecRow[];
};
const specMarkdown = readFileSync(new URL('../../spec/ses-replies.md', import.meta.url), 'utf8');

/** The reply table of the SES "Amazon SES SMTP issues" page, copied row by row (its duplicate 535 row once). */
const PAGE_TABLE: readonly (readonly [number, string])[] = [
  [235, 'Authentication successful'],
  [250, 'Ok MessageID'],
  [421, 'Too many concurrent SMTP connections'],
  [451, 'Temporary service failure'],
  [451, 'Timeout waiting for data from client'],
  [454, 'Throttling failure: Daily message quota exceeded'],
  [454, 'Throttling failure: Maximum sending rate exceeded'],
  [454, 'Temporary authentication failure'],
  [454, 'Temporary service failure'],
  [530, 'Authentication required'],
  [535, 'Authentication Credentials Invalid'],
  [535, 'Account not subscribed to SES'],
  [552, 'Message is too long.'],
  [554, 'Access denied: User UserARN is not authorized to perform ses:SendRawEmail on resource IdentityARN'],
  [
    554,
    'Message rejected: Email address is not verified. The following identities failed the check in region region: identity0, identity1, identity2',
  ],
];

const reply = (code: number, ...lines: string[]): Reply => ({ code, lines });

describe('spec/ses-replies.json', () => {
  it('covers every row of the SES reply table, and nothing is invented as a page row', () => {
    expect(everyPhaseListed).toBe(true);
    const pageRows = spec.rows.filter((row) => row.source === 'page').map((row) => `${row.code} ${row.text}`);
    expect(pageRows.sort()).toEqual(PAGE_TABLE.map(([code, text]) => `${code} ${text}`).sort());
    const perCode = Object.fromEntries(
      [235, 250, 421, 451, 454, 530, 535, 552, 554].map((code) => [
        code,
        PAGE_TABLE.filter(([c]) => c === code).length,
      ]),
    );
    expect(perCode).toEqual({ 235: 1, 250: 1, 421: 1, 451: 2, 454: 4, 530: 1, 535: 2, 552: 1, 554: 2 });
    expect(new Set(spec.rows.map((row) => row.id)).size).toBe(spec.rows.length);
  });

  it.each(spec.rows)('$code $text → $expected.action ($id), in every phase', (row) => {
    for (const phase of PHASES) {
      expect(classifyReply(reply(row.code, row.text), phase, SES_PROFILE)).toEqual({
        ...row.expected,
        rule: row.id,
      });
    }
    expect(classifyReply(reply(row.code, row.text), row.phase, SES_PROFILE).rule).toBe(row.id);
  });

  it.each(spec.rows)('$id: the advice in the spec is the advice in the profile', (row) => {
    expect(findRule(reply(row.code, row.text), row.phase, SES_PROFILE)?.advice).toBe(row.advice);
  });

  it('every SES rule has a spec row, and spec/ses-replies.md renders every row', () => {
    const ids = new Set(spec.rows.map((row) => row.id));
    for (const rule of SES_PROFILE.rules) expect(ids).toContain(rule.id);
    for (const row of spec.rows) {
      expect(specMarkdown).toContain(`\`${row.id}\``);
      expect(specMarkdown).toContain(row.text);
    }
  });
});

describe('SES replies as they arrive on the wire', () => {
  it.each<[Reply, Phase, string]>([
    [reply(451, '4.4.2 Timeout waiting for data from client.'), 'mail', 'ses.451.idle-timeout'],
    [reply(235, 'Authentication successful.'), 'auth', 'ses.235.authenticated'],
    [reply(250, 'Ok 0101019dec617b98-3c1b5e1e-1f1c-4a5e-9d3b-9c0e2a6b7f00-000000'), 'data-end', 'ses.250.ok'],
    [
      reply(421, 'Connection closed by server. Maximum message count per session reached.'),
      'rset',
      'ses.421.max-message-count',
    ],
    [
      reply(
        554,
        'Message rejected: Email address is not verified. The following identities failed the check in region EU-WEST-1: a@example.com, b@example.org',
      ),
      'data-end',
      'ses.554.not-verified',
    ],
    [
      reply(
        554,
        "Access denied: User `arn:aws:iam::123456789012:user/ses-smtp' is not authorized to perform `ses:SendRawEmail' on resource `arn:aws:ses:us-east-1:123456789012:identity/example.com'",
      ),
      'data-end',
      'ses.554.access-denied',
    ],
    [reply(454, 'THROTTLING FAILURE: MAXIMUM SENDING RATE EXCEEDED.'), 'data-end', 'ses.454.max-send-rate'],
    [reply(454, 'Throttling failure: Daily message quota', 'exceeded.'), 'data-end', 'ses.454.daily-quota'],
  ])('%o in %s → %s', (wire, phase, id) => {
    expect(classifyReply(wire, phase, SES_PROFILE).rule).toBe(id);
  });

  it('falls back to the generic profile for replies SES does not document', () => {
    for (const wire of [
      reply(550, '5.1.1 mailbox unavailable'),
      reply(530, 'Must issue a STARTTLS command first'),
      reply(421, 'Service not available'),
      reply(451, 'Something else'),
    ]) {
      for (const phase of PHASES) {
        expect(classifyReply(wire, phase, SES_PROFILE)).toEqual(classifyReply(wire, phase, GENERIC_PROFILE));
      }
    }
  });

  it('ses.250.ok wants the word Ok, not the letters inside another word', () => {
    expect(
      classifyReply(reply(250, 'email-smtp.amazonaws.com Booked'), 'ehlo', SES_PROFILE).rule,
    ).toBeUndefined();
    expect(classifyReply(reply(250, 'Ok'), 'rcpt', SES_PROFILE).rule).toBe('ses.250.ok');
  });

  it('a code that differs from the rule is not matched by its text', () => {
    expect(
      classifyReply(reply(554, 'Throttling failure: Daily message quota exceeded'), 'data-end', SES_PROFILE),
    ).toEqual({ action: 'reject', code: 'SMTP_MESSAGE_REJECTED', outcome: 'rejected', retryable: false });
  });
});

describe('generic classification (RFC 5321 §4.2.1)', () => {
  it.each<[Phase, string]>([
    ['connect', 'SMTP_GREETING_REFUSED'],
    ['greeting', 'SMTP_GREETING_REFUSED'],
    ['ehlo', 'SMTP_EHLO_REFUSED'],
    ['helo', 'SMTP_EHLO_REFUSED'],
    ['starttls', 'SMTP_TLS_REQUIRED'],
    ['tls', 'SMTP_TLS_REQUIRED'],
    ['auth', 'SMTP_AUTH_FAILED'],
    ['ready', 'SMTP_REPLY_UNEXPECTED'],
    ['mail', 'SMTP_SENDER_REJECTED'],
    ['rcpt', 'SMTP_ALL_RECIPIENTS_REJECTED'],
    ['data', 'SMTP_DATA_REJECTED'],
    ['body', 'SMTP_MESSAGE_REJECTED'],
    ['data-end', 'SMTP_MESSAGE_REJECTED'],
    ['rset', 'SMTP_REPLY_UNEXPECTED'],
    ['quit', 'SMTP_REPLY_UNEXPECTED'],
    ['closed', 'SMTP_REPLY_UNEXPECTED'],
  ])('554 in %s → reject %s', (phase, code) => {
    expect(classifyReply(reply(554, 'No'), phase)).toEqual({
      action: 'reject',
      code,
      outcome: 'rejected',
      retryable: false,
    });
  });

  it('4yz is a retryable not-sent; 421 is SERVICE_UNAVAILABLE', () => {
    expect(classifyReply(reply(450, 'mailbox busy'), 'rcpt')).toEqual({
      action: 'retry',
      code: 'SMTP_TRANSIENT_FAILURE',
      outcome: 'not-sent',
      retryable: true,
    });
    expect(classifyReply(reply(421, 'closing'), 'data-end')).toEqual({
      action: 'retry',
      code: 'SMTP_SERVICE_UNAVAILABLE',
      outcome: 'not-sent',
      retryable: true,
      rule: 'rfc5321.421.closing',
    });
  });

  it.each<[Reply, Phase, Action, string, string | undefined]>([
    [
      reply(530, '5.7.0 Authentication required'),
      'mail',
      'fix-credentials',
      'SMTP_AUTH_REQUIRED',
      'rfc4954.530.auth-required',
    ],
    [
      reply(530, '5.7.0 Must issue a STARTTLS command first'),
      'auth',
      'fix-credentials',
      'SMTP_TLS_REQUIRED',
      'rfc3207.530.starttls-first',
    ],
    [
      reply(534, '5.7.9 Authentication mechanism is too weak'),
      'auth',
      'fix-credentials',
      // The mechanism, not the credentials (whose advice says to check the password).
      'SMTP_AUTH_MECHANISM_UNSUPPORTED',
      'rfc4954.534.mechanism-too-weak',
    ],
    [
      reply(504, '5.5.4 Unrecognized authentication type'),
      'auth',
      'fix-credentials',
      'SMTP_AUTH_MECHANISM_UNSUPPORTED',
      'rfc4954.504.mechanism-unrecognized',
    ],
    [
      // RFC 5321 §4.5.3.1.10: a 552 5.5.3 is the 452 it stands for, whatever its text.
      asRcptRefusal(reply(552, '5.5.3 Recipient limit reached')),
      'rcpt',
      'retry',
      'SMTP_TOO_MANY_RECIPIENTS',
      'rfc5321.452.too-many-recipients',
    ],
    [
      // Postfix's recipient limit: the enhanced code alone says it (RFC 3463 §3.6: 5.3 too many recipients).
      reply(452, '4.5.3 Error: recipient limit reached'),
      'rcpt',
      'retry',
      'SMTP_TOO_MANY_RECIPIENTS',
      'rfc5321.452.too-many-recipients',
    ],
    [
      reply(535, '5.7.8 Authentication credentials invalid'),
      'auth',
      'fix-credentials',
      'SMTP_AUTH_FAILED',
      'rfc4954.535.credentials-invalid',
    ],
    [
      reply(538, '5.7.11 Encryption required'),
      'auth',
      'fix-credentials',
      'SMTP_TLS_REQUIRED',
      'rfc4954.538.encryption-required',
    ],
    [
      reply(454, '4.7.0 Temporary authentication failure'),
      'auth',
      'retry',
      'SMTP_TRANSIENT_FAILURE',
      'rfc4954.454.temporary-auth-failure',
    ],
    [
      reply(454, 'TLS not available due to temporary reason'),
      'starttls',
      'retry',
      'SMTP_TLS_REQUIRED',
      'rfc3207.454.tls-unavailable',
    ],
    [reply(454, 'Try later'), 'data-end', 'retry', 'SMTP_TRANSIENT_FAILURE', undefined],
    [
      reply(552, '5.3.4 Message size exceeds fixed limit'),
      'data-end',
      'reject',
      'SMTP_MESSAGE_TOO_LARGE',
      'rfc1870.552.size-exceeded',
    ],
    [reply(552, '5.2.2 Mailbox full'), 'rcpt', 'reject', 'SMTP_ALL_RECIPIENTS_REJECTED', undefined],
    [
      reply(452, '4.5.3 Too many recipients'),
      'rcpt',
      'retry',
      'SMTP_TOO_MANY_RECIPIENTS',
      'rfc5321.452.too-many-recipients',
    ],
    // RFC 5321 §4.5.3.1.10 is about RCPT only: elsewhere a 452 is just a transient failure.
    [reply(452, '4.5.3 Too many recipients'), 'mail', 'retry', 'SMTP_TRANSIENT_FAILURE', undefined],
    [reply(452, '4.3.1 Insufficient system storage'), 'rcpt', 'retry', 'SMTP_TRANSIENT_FAILURE', undefined],
    [reply(354, 'Go ahead'), 'data', 'continue', 'SMTP_REPLY_UNEXPECTED', undefined],
    [reply(334, 'VXNlcm5hbWU6'), 'auth', 'continue', 'SMTP_REPLY_UNEXPECTED', undefined],
  ])('%o in %s → %s %s', (wire, phase, action, code, rule) => {
    const disposition = classifyReply(wire, phase);
    expect(disposition).toMatchObject({ action, code });
    expect(disposition.rule).toBe(rule);
  });

  it.each([0, 99, 100, 199, 600, 999, -250, 250.5, Number.NaN])(
    'code %d is not SMTP: REPLY_MALFORMED',
    (code) => {
      expect(classifyReply(reply(code, 'x'), 'mail')).toEqual({
        action: 'reject',
        code: 'SMTP_REPLY_MALFORMED',
        outcome: 'not-sent',
        retryable: false,
      });
      // Once the body is being written, a reply that is not SMTP leaves delivery unknown.
      expect(classifyReply(reply(code, 'x'), 'body').outcome).toBe('unknown');
      expect(classifyReply(reply(code, 'x'), 'data-end').outcome).toBe('unknown');
    },
  );
});

describe('checkProfile', () => {
  it('accepts both shipped profiles', () => {
    expect(() => checkProfile(SES_PROFILE)).not.toThrow();
    expect(() => checkProfile(GENERIC_PROFILE)).not.toThrow();
  });

  const base = {
    id: 'x',
    code: 554,
    action: 'reject',
    errorCode: 'SMTP_MESSAGE_REJECTED',
    source: 't',
  } as const;
  it.each<[string, ProviderProfile]>([
    ['an action outside the class', { name: 't', rules: [{ ...base, action: 'retry' }] }],
    ['a 2yz that is not continue', { name: 't', rules: [{ ...base, code: 250 }] }],
    ['a global regex', { name: 't', rules: [{ ...base, text: /x/gi }] }],
    ['a case-sensitive regex', { name: 't', rules: [{ ...base, text: /x/ }] }],
    ['a duplicate id', { name: 't', rules: [base, base] }],
    ['a bad fallback', { name: 't', rules: [], fallback: { name: 'f', rules: [{ ...base, code: 700 }] } }],
  ])('refuses %s', (_label, profile) => {
    expect(() => checkProfile(profile)).toThrow();
  });

  it('ignores a rule whose action contradicts its code rather than break RFC 5321 §4.2.1', () => {
    const broken: ProviderProfile = { name: 't', rules: [{ ...base, action: 'continue' }] };
    expect(classifyReply(reply(554, 'x'), 'data-end', broken).action).toBe('reject');
  });
});

const SES_TEXTS = [...PAGE_TABLE.map(([, text]) => text), ...spec.rows.map((row) => row.text)];
const replyText = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc
    .tuple(fc.string({ maxLength: 8 }), fc.constantFrom(...SES_TEXTS), fc.string({ maxLength: 8 }))
    .map(([before, text, after]) => `${before}${text}${after}`),
);

// Codes the profiles name, so the SES texts meet their own codes often, not 1 run in 400.
const RULE_CODES = [...SES_PROFILE.rules, ...GENERIC_PROFILE.rules].map((rule) => rule.code);
const anyCode = fc.oneof(fc.integer({ min: 200, max: 599 }), fc.constantFrom(...RULE_CODES));

const PROFILES = { generic: GENERIC_PROFILE, ses: SES_PROFILE } as const;

describe('properties', () => {
  test.prop(
    {
      code: anyCode,
      phase: fc.constantFrom(...PHASES),
      lines: fc.array(replyText, { minLength: 1, maxLength: 3 }),
      profileName: fc.constantFrom('generic', 'ses'),
    },
    { numRuns: 1000 },
  )(
    'every code × phase × text: the disposition agrees with the reply class',
    ({ code, phase, lines, profileName }) => {
      const profile = PROFILES[profileName];
      const disposition = classifyReply({ code, lines }, phase, profile);
      const replyClass = Math.floor(code / 100);
      if (replyClass === 2 || replyClass === 3) {
        expect(disposition.action).toBe('continue');
        expect(disposition.retryable).toBe(false);
      } else if (replyClass === 4) {
        expect(['retry', 'slow-down', 'reduce-connections', 'reconnect', 'stop-sending']).toContain(
          disposition.action,
        );
        expect(disposition).toMatchObject({ outcome: 'not-sent', retryable: true });
      } else {
        expect(['reject', 'fix-credentials']).toContain(disposition.action);
        expect(disposition).toMatchObject({ outcome: 'rejected', retryable: false });
      }
      // Pure: the same input gives the same answer (a stateful regex would not).
      expect(classifyReply({ code, lines }, phase, profile)).toEqual(disposition);
    },
  );

  test.prop(
    { code: fc.integer({ min: 200, max: 599 }), phase: fc.constantFrom(...PHASES) },
    { numRuns: 300 },
  )('SES and generic agree whenever no SES rule matches', ({ code, phase }) => {
    const wire = reply(code, 'unremarkable text');
    expect(classifyReply(wire, phase, SES_PROFILE)).toEqual(classifyReply(wire, phase, GENERIC_PROFILE));
  });
});
