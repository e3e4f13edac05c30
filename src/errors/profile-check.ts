/**
 * checkProfile: is a `profile` option a ProviderProfile that classifyReply can use? Run when a client,
 * pool or sans-I/O Session is created, so that a wrong one (a name like 'ses', a rule with a string for a pattern, a
 * fallback chain that loops forever) is an SmtpUsageError naming the part that is wrong
 * (`profile.rules[2].text`), not a TypeError, a hang or a misclassified reply at the first refusal.
 */
import { type Action, actionsForCode, type ProviderProfile, type ReplyRule } from './classify.js';
import { ErrorCodes } from './codes.js';
import { invalidArgument, isRecord } from './invalid-argument.js';
import { frozenProfile } from './profiles/frozen.js';
import type { Phase } from './smtp-error.js';

const PROFILE_KEYS: readonly string[] = ['name', 'rules', 'fallback'] satisfies (keyof ProviderProfile)[];
const RULE_KEYS: readonly string[] = [
  'id',
  'code',
  'text',
  'phases',
  'action',
  'errorCode',
  'advice',
  'source',
] satisfies (keyof ReplyRule)[];
// Records, so that a new Action or Phase that is not listed here does not compile.
const ACTIONS: Readonly<Record<Action, true>> = {
  continue: true,
  retry: true,
  'slow-down': true,
  'reduce-connections': true,
  reconnect: true,
  'stop-sending': true,
  'fix-credentials': true,
  reject: true,
};
const PHASES: Readonly<Record<Phase, true>> = {
  connect: true,
  greeting: true,
  ehlo: true,
  helo: true,
  starttls: true,
  tls: true,
  auth: true,
  ready: true,
  mail: true,
  rcpt: true,
  data: true,
  body: true,
  'data-end': true,
  rset: true,
  quit: true,
  closed: true,
};
const ERROR_CODES: ReadonlySet<unknown> = new Set(Object.values(ErrorCodes));

/**
 * Throws SmtpUsageError (SMTP_INVALID_ARGUMENT, `field` naming the part, never its value) unless
 * `value` is a profile: `{ name, rules, fallback? }` and nothing else, every rule well formed (an
 * action that fits its code's class, RFC 5321 §4.2.1; a case-insensitive pattern without `g`/`y`,
 * whose `test` would depend on earlier calls; known phases and error codes; a unique id), and a
 * fallback chain that ends.
 */
export function checkProfile(value: unknown, field = 'profile'): asserts value is ProviderProfile {
  const seen = new Set<unknown>();
  let current: unknown = value;
  let at = field;
  while (current !== undefined) {
    if (seen.has(current)) throw invalidArgument(at, 'leads back to a profile earlier in the fallback chain');
    seen.add(current);
    checkOne(current, at);
    current = (current as ProviderProfile).fallback;
    at = `${at}.fallback`;
  }
}

/** checkProfile, then the profile as it is now (frozenProfile: a frozen copy of a caller's own). */
export function checkedProfile(value: unknown, field = 'profile'): ProviderProfile {
  checkProfile(value, field);
  return frozenProfile(value);
}

function checkOne(value: unknown, field: string): void {
  if (!isRecord(value)) {
    throw invalidArgument(
      field,
      'must be a profile object { name, rules, fallback? }, such as SES_PROFILE or GENERIC_PROFILE',
    );
  }
  unknownKeys(value, PROFILE_KEYS, field, 'a profile field');
  if (typeof value.name !== 'string' || value.name === '')
    throw invalidArgument(`${field}.name`, 'must be a non-empty string');
  if (!Array.isArray(value.rules)) throw invalidArgument(`${field}.rules`, 'must be an array of rules');
  const ids = new Set<string>();
  // Indexed, not forEach: a sparse array's hole is a rule that is not an object.
  for (let index = 0; index < value.rules.length; index += 1) {
    const rule: unknown = value.rules[index];
    const at = `${field}.rules[${index}]`;
    checkRule(rule, at);
    if (ids.has(rule.id)) throw invalidArgument(`${at}.id`, 'repeats the id of an earlier rule');
    ids.add(rule.id);
  }
}

function checkRule(rule: unknown, field: string): asserts rule is ReplyRule {
  if (!isRecord(rule)) throw invalidArgument(field, 'must be a rule object');
  unknownKeys(rule, RULE_KEYS, field, 'a rule field');
  if (typeof rule.id !== 'string' || rule.id === '')
    throw invalidArgument(`${field}.id`, 'must be a non-empty string');
  const { code, action } = rule;
  if (typeof code !== 'number' || actionsForCode(code).length === 0) {
    throw invalidArgument(`${field}.code`, 'must be a reply code, an integer from 200 to 599');
  }
  if (typeof action !== 'string' || !Object.hasOwn(ACTIONS, action)) {
    throw invalidArgument(`${field}.action`, `must be one of ${Object.keys(ACTIONS).join(', ')}`);
  }
  const fitting = actionsForCode(code);
  if (!fitting.includes(action as Action)) {
    throw invalidArgument(
      `${field}.action`,
      `does not fit a ${Math.floor(code / 100)}yz code: use ${fitting.join(', ')}`,
    );
  }
  const { text } = rule;
  if (text !== undefined && !(text instanceof RegExp && text.ignoreCase && !text.global && !text.sticky)) {
    throw invalidArgument(
      `${field}.text`,
      'must be a case-insensitive RegExp (flag i) without the g or y flag',
    );
  }
  const { phases } = rule;
  if (
    phases !== undefined &&
    !(
      Array.isArray(phases) &&
      phases.every((phase) => typeof phase === 'string' && Object.hasOwn(PHASES, phase))
    )
  ) {
    throw invalidArgument(
      `${field}.phases`,
      `must be an array of phases (${Object.keys(PHASES).join(', ')})`,
    );
  }
  if (!ERROR_CODES.has(rule.errorCode))
    throw invalidArgument(`${field}.errorCode`, 'must be one of ErrorCodes');
  if (rule.advice !== undefined && typeof rule.advice !== 'string')
    throw invalidArgument(`${field}.advice`, 'must be a string');
  if (typeof rule.source !== 'string')
    throw invalidArgument(`${field}.source`, 'must be a string (where the rule comes from)');
}

function unknownKeys(
  value: Record<string, unknown>,
  known: readonly string[],
  field: string,
  what: string,
): void {
  const unknown = Object.keys(value).find((key) => !known.includes(key));
  if (unknown !== undefined)
    throw invalidArgument(`${field}.${unknown}`, `is not ${what} (${known.join(', ')})`);
}
