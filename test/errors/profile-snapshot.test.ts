/**
 * A profile is taken as it is when the client, pool or session is created: a frozen copy of a
 * custom one (later edits to the caller's object neither change the classification nor get around
 * checkProfile), the shipped ones by identity (they are frozen themselves, and the SES recipient
 * limit is keyed on SES_PROFILE).
 */
import { describe, expect, it } from 'vitest';
import { createPool } from '../../src/delivery/pool.js';
import type { ClientLike } from '../../src/delivery/pool-options.js';
import {
  GENERIC_PROFILE,
  type ProviderProfile,
  type ReplyRule,
  SES_PROFILE,
} from '../../src/errors/classify.js';
import { type ErrorCode, ErrorCodes } from '../../src/errors/codes.js';
import { checkedProfile } from '../../src/errors/profile-check.js';
import type { Phase } from '../../src/errors/smtp-error.js';
import { ManualClock } from '../support/manual-clock.js';

/** What a caller holds: the same profile, its arrays and fields open to edits. */
interface Editable {
  name: string;
  rules: (Omit<ReplyRule, 'errorCode' | 'phases'> & { errorCode: ErrorCode; phases?: Phase[] })[];
  fallback?: { name: string; rules: ReplyRule[] };
}

const custom = (): Editable => ({
  name: 'ops',
  rules: [
    {
      id: 'ops.554',
      code: 554,
      text: /blocked/i,
      phases: ['data-end'],
      action: 'reject',
      errorCode: ErrorCodes.MESSAGE_REJECTED,
      source: 'our relay',
    },
  ],
  fallback: { name: 'inner', rules: [] },
});

describe('checkedProfile', () => {
  it('the shipped profiles come back as they are, deeply frozen', () => {
    for (const profile of [SES_PROFILE, GENERIC_PROFILE]) {
      expect(checkedProfile(profile)).toBe(profile);
      expect(Object.isFrozen(profile)).toBe(true);
      expect(Object.isFrozen(profile.rules)).toBe(true);
      for (const rule of profile.rules) {
        expect(Object.isFrozen(rule)).toBe(true);
        if (rule.phases) expect(Object.isFrozen(rule.phases)).toBe(true);
      }
    }
  });

  it("a custom one is copied: the caller's later edits reach neither the copy nor its fallback", () => {
    const mine = custom();
    const taken = checkedProfile(mine);
    expect(taken).toEqual(mine);
    mine.rules[0]!.errorCode = ErrorCodes.INTERNAL_ERROR;
    mine.rules[0]!.phases!.push('rcpt');
    mine.rules.push({ ...mine.rules[0]!, id: 'ops.550', code: 550 });
    mine.fallback!.rules.push({ ...mine.rules[0]!, id: 'inner.550' });
    mine.name = 'changed';
    expect(taken).toEqual(custom());
    expect(Object.isFrozen(taken) && Object.isFrozen(taken.rules) && Object.isFrozen(taken.rules[0])).toBe(
      true,
    );
    expect(Object.isFrozen(taken.fallback)).toBe(true);
  });

  it('a shipped profile as a fallback is kept by identity', () => {
    expect(checkedProfile({ ...custom(), fallback: SES_PROFILE }).fallback).toBe(SES_PROFILE);
  });
});

describe('createPool', () => {
  it('classifies with, and hands its client factory, the profile as it was at creation', async () => {
    const mine = custom();
    const seen: ProviderProfile[] = [];
    const fakeClient: ClientLike = {
      send: () => Promise.reject(new Error('no send in this test')),
      close: () => Promise.resolve(),
    };
    const pool = createPool({
      host: '127.0.0.1',
      profile: mine,
      clock: new ManualClock(0),
      createClient: (options: { profile?: ProviderProfile | undefined }) => {
        if (options.profile) seen.push(options.profile);
        return fakeClient;
      },
    });
    // Made invalid after creation: the check must not be got around.
    (mine.rules[0] as { text: unknown }).text = 'blocked';
    await pool.send({ from: 'a@example.test', to: ['b@example.test'], message: 'x\r\n' }).catch(() => {});
    expect(seen).toHaveLength(1);
    expect(seen[0]).toEqual(custom());
    await pool.close({ deadlineMs: 10 });
  });
});
