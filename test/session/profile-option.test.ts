// The sans-I/O Session checks its `profile` option as createClient and createPool do
// (src/errors/profile-check.ts): a wrong one is a usage error before the session exists, not a
// TypeError, a hang or a misclassified reply at the first refusal.
import { describe, expect, it } from 'vitest';
import { GENERIC_PROFILE, type ProviderProfile, SES_PROFILE } from '../../src/errors/classify.js';
import { ErrorCodes } from '../../src/errors/codes.js';
import { Session } from '../../src/session/session.js';

const create = (profile: unknown) =>
  new Session(
    { clientName: 'client.example', security: 'none', profile: profile as ProviderProfile },
    () => {},
  );

describe('Session profile option', () => {
  it.each<[string, unknown, string]>([
    ['a name', 'ses', 'profile'],
    ['null', null, 'profile'],
    [
      'a rule with a string pattern',
      { name: 'x', rules: [{ ...SES_PROFILE.rules[0], text: 'a' }] },
      'profile.rules[0].text',
    ],
  ])('%s is refused, naming the part', (_, profile, field) => {
    expect(() => create(profile)).toThrow(
      expect.objectContaining({ code: ErrorCodes.INVALID_ARGUMENT, field }),
    );
  });

  it('the built-in profiles and none at all are taken', () => {
    for (const profile of [SES_PROFILE, GENERIC_PROFILE, undefined])
      expect(() => create(profile)).not.toThrow();
  });
});
