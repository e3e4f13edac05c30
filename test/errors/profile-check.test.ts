/**
 * checkProfile refuses each way a user-supplied profile can be wrong with an SmtpUsageError whose
 * `field` names the part at fault (never its value), before any connection is made.
 */
import { describe, expect, it } from 'vitest';
import { GENERIC_PROFILE, SES_PROFILE } from '../../src/errors/classify.js';
import { checkProfile } from '../../src/errors/profile-check.js';
import { SmtpUsageError } from '../../src/errors/smtp-error.js';

const rule = {
  id: 'ops.554',
  code: 554,
  action: 'reject',
  errorCode: 'SMTP_MESSAGE_REJECTED',
  source: 'our relay',
} as const;

/** The usage error checkProfile throws for `value`. */
function refusal(value: unknown): SmtpUsageError {
  try {
    checkProfile(value);
  } catch (error) {
    expect(error).toBeInstanceOf(SmtpUsageError);
    return error as SmtpUsageError;
  }
  throw new Error('checkProfile accepted it');
}

describe('checkProfile refusals name the field at fault', () => {
  it.each<[string, unknown, string]>([
    ['an array for a profile', [], 'profile'],
    ['null for a profile', null, 'profile'],
    ['an unknown profile key', { name: 't', rules: [], fallbak: GENERIC_PROFILE }, 'profile.fallbak'],
    ['an empty name', { name: '', rules: [] }, 'profile.name'],
    ['rules that are not an array', { name: 't', rules: { 0: rule } }, 'profile.rules'],
    ['a rule that is an array', { name: 't', rules: [[]] }, 'profile.rules[0]'],
    ['an unknown rule key', { name: 't', rules: [{ ...rule, phase: 'rcpt' }] }, 'profile.rules[0].phase'],
    ['an empty id', { name: 't', rules: [{ ...rule, id: '' }] }, 'profile.rules[0].id'],
    ['a repeated id', { name: 't', rules: [rule, { ...rule, code: 550 }] }, 'profile.rules[1].id'],
    ['a code outside 200-599', { name: 't', rules: [{ ...rule, code: 700 }] }, 'profile.rules[0].code'],
    [
      'a code that is not an integer',
      { name: 't', rules: [{ ...rule, code: 554.5 }] },
      'profile.rules[0].code',
    ],
    ['an unknown action', { name: 't', rules: [{ ...rule, action: 'bounce' }] }, 'profile.rules[0].action'],
    ['a sticky pattern', { name: 't', rules: [{ ...rule, text: /x/iy }] }, 'profile.rules[0].text'],
    ['a string for a pattern', { name: 't', rules: [{ ...rule, text: 'x' }] }, 'profile.rules[0].text'],
    ['an unknown phase', { name: 't', rules: [{ ...rule, phases: ['dot'] }] }, 'profile.rules[0].phases'],
    [
      'a phase that is not in an array',
      { name: 't', rules: [{ ...rule, phases: 'rcpt' }] },
      'profile.rules[0].phases',
    ],
    [
      'an unknown error code',
      { name: 't', rules: [{ ...rule, errorCode: 'SMTP_NOPE' }] },
      'profile.rules[0].errorCode',
    ],
    [
      'advice that is not a string',
      { name: 't', rules: [{ ...rule, advice: 1 }] },
      'profile.rules[0].advice',
    ],
    ['a missing source', { name: 't', rules: [{ ...rule, source: undefined }] }, 'profile.rules[0].source'],
    [
      'a bad last rule',
      { name: 't', rules: [rule, { ...rule, id: 'b', action: 'retry' }] },
      'profile.rules[1].action',
    ],
    ['a null fallback', { name: 't', rules: [], fallback: null }, 'profile.fallback'],
    [
      'a bad rule in a fallback of a fallback',
      {
        name: 'a',
        rules: [],
        fallback: { name: 'b', rules: [], fallback: { name: 'c', rules: [{ ...rule, code: 99 }] } },
      },
      'profile.fallback.fallback.rules[0].code',
    ],
  ])('refuses %s', (_label, value, field) => {
    const error = refusal(value);
    expect(error).toMatchObject({ code: 'SMTP_INVALID_ARGUMENT', field });
    expect(error.message.startsWith(`${field}: `)).toBe(true);
  });

  it('refuses a fallback chain that leads back to itself instead of walking it forever', () => {
    const first: { name: string; rules: never[]; fallback?: unknown } = { name: 'a', rules: [] };
    const second = { name: 'b', rules: [], fallback: first };
    first.fallback = second;
    expect(refusal(first)).toMatchObject({
      code: 'SMTP_INVALID_ARGUMENT',
      field: 'profile.fallback.fallback',
    });
  });

  it('accepts a profile that extends a shipped one, with every optional field used', () => {
    expect(() =>
      checkProfile({
        name: 'mine',
        rules: [{ ...rule, text: /blocked/i, phases: ['data-end'], advice: 'ask the relay admin' }],
        fallback: SES_PROFILE,
      }),
    ).not.toThrow();
  });
});
