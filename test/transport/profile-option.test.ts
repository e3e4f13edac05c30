/**
 * The `profile` option (a reply classification table) is checked when the client or pool is
 * created, by every entry point: createClient, createPool with its own clients, and createPool
 * over a custom client factory (whose options it does not otherwise read). Anything that is not a
 * profile classifyReply can use is SMTP_INVALID_ARGUMENT naming the part that is wrong, before any
 * connection: not a TypeError, a plain Error, a stack overflow, or an error at the first reply.
 */
import { describe, expect, it } from 'vitest';
import { createPool } from '../../src/delivery/pool.js';
import type { ClientLike } from '../../src/delivery/pool-options.js';
import { GENERIC_PROFILE, type ProviderProfile, SES_PROFILE } from '../../src/errors/classify.js';
import { ErrorCodes } from '../../src/errors/codes.js';
import { SmtpUsageError } from '../../src/errors/smtp-error.js';
import { createClient } from '../../src/transport/client.js';
import { ManualClock } from '../support/manual-clock.js';

const RULE = {
  id: 'ops.554.blocked',
  code: 554,
  action: 'reject',
  errorCode: ErrorCodes.MESSAGE_REJECTED,
  source: 'our relay',
} as const;

function withRule(changes: Record<string, unknown>): unknown {
  return { name: 'ops', rules: [{ ...RULE, ...changes }] };
}

const cyclic: { name: string; rules: never[]; fallback?: unknown } = { name: 'loop', rules: [] };
cyclic.fallback = { name: 'back', rules: [], fallback: cyclic };

/** [what, the field the error names, profile] */
const BAD: readonly (readonly [string, string, unknown])[] = [
  ['a name instead of a profile', 'profile', 'ses'],
  ['null', 'profile', null],
  ['a function', 'profile', () => SES_PROFILE],
  ['an array', 'profile', [SES_PROFILE]],
  ['an empty object', 'profile.name', {}],
  ['a name that is not a string', 'profile.name', { name: 1, rules: [] }],
  ['no rules', 'profile.rules', { name: 'ops' }],
  ['rules that are not an array', 'profile.rules', { name: 'ops', rules: 'none' }],
  ['an unknown key (a typo)', 'profile.fallbak', { name: 'ops', rules: [], fallbak: SES_PROFILE }],
  ['a rule that is not an object', 'profile.rules[0]', { name: 'ops', rules: [null] }],
  ['a rule without an id', 'profile.rules[0].id', withRule({ id: undefined })],
  ['a code that is not a number', 'profile.rules[0].code', withRule({ code: '554' })],
  ['a code outside 200-599', 'profile.rules[0].code', withRule({ code: 700 })],
  ['an unknown action', 'profile.rules[0].action', withRule({ action: 'bounce' })],
  ['an action outside the class', 'profile.rules[0].action', withRule({ action: 'retry' })],
  ['a text that is a string', 'profile.rules[0].text', withRule({ text: 'blocked' })],
  ['a global pattern', 'profile.rules[0].text', withRule({ text: /blocked/gi })],
  ['a case-sensitive pattern', 'profile.rules[0].text', withRule({ text: /blocked/ })],
  ['phases that are a string', 'profile.rules[0].phases', withRule({ phases: 'data-end' })],
  ['an unknown phase', 'profile.rules[0].phases', withRule({ phases: ['dataend'] })],
  ['an unknown error code', 'profile.rules[0].errorCode', withRule({ errorCode: 'SMTP_BLOCKED' })],
  ['advice that is not a string', 'profile.rules[0].advice', withRule({ advice: 1 })],
  ['no source', 'profile.rules[0].source', withRule({ source: undefined })],
  ['a misspelt rule key', 'profile.rules[0].phase', withRule({ phase: ['rcpt'] })],
  ['a duplicate id', 'profile.rules[1].id', { name: 'ops', rules: [RULE, RULE] }],
  ['a fallback that is a name', 'profile.fallback', { name: 'ops', rules: [], fallback: 'generic' }],
  [
    'a bad rule in the fallback',
    'profile.fallback.rules[0].code',
    { name: 'ops', rules: [], fallback: withRule({ code: 700 }) },
  ],
  ['a fallback chain that loops', 'profile.fallback.fallback', cyclic],
];

const fakeClient: ClientLike = {
  send: () => Promise.reject(new Error('no send in these tests')),
  close: () => Promise.resolve(),
};

const ENTRY_POINTS = {
  createClient: (profile: unknown) => createClient({ host: '127.0.0.1', profile } as never),
  'createPool (its own clients)': (profile: unknown) =>
    createPool({ host: '127.0.0.1', profile, clock: new ManualClock(0) } as never),
  'createPool (custom client factory)': (profile: unknown) =>
    createPool({
      host: '127.0.0.1',
      profile,
      clock: new ManualClock(0),
      createClient: () => {
        throw new Error('the factory is not called at creation');
      },
    } as never),
};

function usageOf(run: () => unknown): SmtpUsageError {
  let thrown: unknown;
  try {
    run();
  } catch (error) {
    thrown = error;
  }
  if (thrown instanceof SmtpUsageError) return thrown;
  throw new Error(`expected an SmtpUsageError, got ${thrown === undefined ? 'no error' : String(thrown)}`);
}

describe.each(Object.entries(ENTRY_POINTS))('%s', (_entry, create) => {
  it.each(BAD)('refuses %s: SMTP_INVALID_ARGUMENT naming %s', (_what, field, profile) => {
    const error = usageOf(() => create(profile));
    expect(error.code).toBe(ErrorCodes.INVALID_ARGUMENT);
    expect(error.field).toBe(field);
    expect(error.message.startsWith(`${field}: `)).toBe(true);
    expect(error.outcome).toBe('not-sent');
  });

  it('takes the shipped profiles and a well-formed custom one', async () => {
    const custom: ProviderProfile = {
      name: 'ops',
      rules: [{ ...RULE, text: /blocked/i, phases: ['data-end'], advice: 'Ask the relay team.' }],
      fallback: SES_PROFILE,
    };
    for (const profile of [SES_PROFILE, GENERIC_PROFILE, custom]) {
      const made = create(profile) as { close(): Promise<void> };
      await made.close();
    }
  });
});

describe('the custom factory receives the profile it was given', () => {
  it('unchanged, so that its clients classify as the pool does', async () => {
    const seen: unknown[] = [];
    const pool = createPool({
      host: '127.0.0.1',
      profile: GENERIC_PROFILE,
      clock: new ManualClock(0),
      createClient: (options: { profile?: ProviderProfile | undefined }) => {
        seen.push(options.profile);
        return fakeClient;
      },
    });
    await pool.send({ from: 'a@example.test', to: ['b@example.test'], message: 'x\r\n' }).catch(() => {});
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBe(GENERIC_PROFILE);
    await pool.close({ deadlineMs: 10 });
  });
});
