/**
 * A profile as it is now, for good: the shipped profiles are defined through it, and a caller's
 * profile is copied through it when a client, pool or session is created (profile-check.ts), so that
 * later edits to the caller's object neither change how replies are classified nor get around the
 * check. A frozen profile comes back as it is (the shipped ones keep their identity: the SES
 * recipient limit is keyed on SES_PROFILE). Patterns are shared: a RegExp without `g`/`y` keeps no
 * state from one `test` call to the next.
 */
import type { ProviderProfile, ReplyRule } from '../classify.js';

export function frozenProfile(profile: ProviderProfile): ProviderProfile {
  if (Object.isFrozen(profile)) return profile;
  const { fallback } = profile;
  return Object.freeze({
    name: profile.name,
    rules: Object.freeze(profile.rules.map(frozenRule)),
    ...(fallback === undefined ? {} : { fallback: frozenProfile(fallback) }),
  });
}

function frozenRule(rule: ReplyRule): ReplyRule {
  const { phases } = rule;
  return Object.freeze({ ...rule, ...(phases === undefined ? {} : { phases: Object.freeze([...phases]) }) });
}
