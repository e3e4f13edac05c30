/**
 * The pool's default retry policy follows the reply profile it runs with, not the host name alone:
 * `profile: SES_PROFILE` on another name (the simulator on 127.0.0.1, a local proxy or tunnel) is SES
 * (its schedule, README "Pool options"); a `retry` of the caller's own still wins.
 */
import { describe, expect, it } from 'vitest';
import { resolvePoolOptions } from '../../src/delivery/pool-options.js';
import {
  DEFAULT_RETRY_DEADLINE_MS,
  GENERIC_RETRY_BACKOFF,
  SES_RETRY_SCHEDULE,
} from '../../src/delivery/retry-policy.js';
import { GENERIC_PROFILE, SES_PROFILE } from '../../src/errors/classify.js';
import { SES_HOST } from './pool-fakes.js';

const retryOf = (options: Parameters<typeof resolvePoolOptions>[0]) =>
  resolvePoolOptions(options).settings.retry;

describe('the default retry policy follows the profile', () => {
  it.each(['127.0.0.1', 'localhost', 'ses-proxy.internal.example'])(
    'profile: SES_PROFILE on %s gets the SES schedule (5 s, 10 s, 30 s, 20 min, cycled)',
    (host) => {
      expect(retryOf({ host, profile: SES_PROFILE })).toBe(SES_RETRY_SCHEDULE);
    },
  );

  it('an SES host without a profile keeps the SES schedule; another host the generic back-off', () => {
    expect(retryOf({ host: SES_HOST })).toBe(SES_RETRY_SCHEDULE);
    expect(retryOf({ host: '127.0.0.1' })).toBe(GENERIC_RETRY_BACKOFF);
  });

  it('an SES interface VPC endpoint name is an SES host: SES profile and schedule', () => {
    const { settings } = resolvePoolOptions({
      host: 'vpce-0123abcd-xyz.email-smtp.us-west-2.vpce.amazonaws.com',
    });
    expect(settings.profile).toBe(SES_PROFILE);
    expect(settings.retry).toBe(SES_RETRY_SCHEDULE);
  });

  it("a profile of the caller's that extends SES_PROFILE (its fallback) is SES; one that does not is not", () => {
    const extendsSes = { name: 'mine', rules: [], fallback: SES_PROFILE };
    expect(retryOf({ host: '127.0.0.1', profile: extendsSes })).toBe(SES_RETRY_SCHEDULE);
    const twoDeep = { name: 'outer', rules: [], fallback: extendsSes };
    expect(retryOf({ host: '127.0.0.1', profile: twoDeep })).toBe(SES_RETRY_SCHEDULE);
    const generic = { name: 'other', rules: [], fallback: GENERIC_PROFILE };
    expect(retryOf({ host: SES_HOST, profile: generic })).toBe(GENERIC_RETRY_BACKOFF);
  });

  it('an explicit GENERIC_PROFILE on an SES host gets the generic back-off (the profile decides)', () => {
    expect(retryOf({ host: SES_HOST, profile: GENERIC_PROFILE })).toBe(GENERIC_RETRY_BACKOFF);
  });

  it('a profile layered over SES_PROFILE (fallback) on an SES host keeps the SES schedule', () => {
    // spec/reply-classes.md: a caller's rules in front of SES's, SES's fallback chain behind them.
    // Before 0bb7927 the SES host gave SES's schedule; a rule of one's own must not swap it for 1 s back-off.
    const layered = { name: 'ses-plus', rules: [], fallback: SES_PROFILE };
    expect(retryOf({ host: SES_HOST, profile: layered })).toBe(SES_RETRY_SCHEDULE);
  });

  it('a partial retry with the SES profile completes from the SES schedule', () => {
    expect(retryOf({ host: '127.0.0.1', profile: SES_PROFILE, retry: { maxAttempts: 3 } })).toEqual({
      ...SES_RETRY_SCHEDULE,
      maxAttempts: 3,
      deadlineMs: DEFAULT_RETRY_DEADLINE_MS,
    });
  });

  it("the caller's own retry wins over the SES profile's schedule", () => {
    expect(retryOf({ host: '127.0.0.1', profile: SES_PROFILE, retry: false })).toBe(false);
    expect(retryOf({ host: '127.0.0.1', profile: SES_PROFILE, retry: { delaysMs: [100] } })).toEqual({
      delaysMs: [100],
      deadlineMs: DEFAULT_RETRY_DEADLINE_MS,
    });
  });
});
