/**
 * Reply classification: maps a reply and the phase it answered to what to do next (RFC 5321
 * §4.2.1 reply classes, §4.2.5 replies after DATA). Pure and total. Provider knowledge lives in
 * rule tables (profiles/*.ts); the reply class alone decides `outcome` and `retryable`.
 */
import { parseEnhancedStatus } from '../protocol/enhanced-status.js';
import type { Reply } from '../protocol/reply-types.js';
import { type ErrorCode, ErrorCodes } from './codes.js';
import { GENERIC_PROFILE } from './profiles/generic.js';
import type { Outcome, Phase } from './smtp-error.js';

export { GENERIC_PROFILE } from './profiles/generic.js';
export { SES_PROFILE, speaksSes } from './profiles/ses.js';

export type Action =
  | 'continue' // positive reply
  | 'retry' // transient: retry later with back-off (RFC 5321 4yz)
  | 'slow-down' // throttled: lower the send rate, then retry
  | 'reduce-connections' // too many connections: fewer connections, then retry
  | 'reconnect' // this connection is done, the message was not sent: open a new one at once
  | 'stop-sending' // quota exhausted: stop until the window frees
  | 'fix-credentials' // nothing will work until credentials/configuration change
  | 'reject'; // permanent refusal of this message/recipient (5yz)

export interface Disposition {
  readonly action: Action;
  /** Code for an SmtpError built from this reply (REPLY_UNEXPECTED for positive replies: see below). */
  readonly code: ErrorCode;
  readonly outcome: Outcome;
  readonly retryable: boolean;
  /** Id of the profile rule that matched, e.g. 'ses.454.daily-quota'. */
  readonly rule?: string;
}

/** One row of a provider table: an exact reply code, an optional text pattern and phases → action. */
export interface ReplyRule {
  readonly id: string;
  readonly code: number;
  /** Case-insensitive, unanchored; tested against the reply lines joined with a space. No `g`/`y` flag. */
  readonly text?: RegExp;
  readonly phases?: readonly Phase[];
  readonly action: Action;
  readonly errorCode: ErrorCode;
  /** A short human fix, shown by `sesAdvice` and the CLI. */
  readonly advice?: string;
  /** Where the rule comes from: an RFC section or a provider document. */
  readonly source: string;
}

export interface ProviderProfile {
  readonly name: string;
  readonly rules: readonly ReplyRule[];
  /** Consulted when no rule of this profile matches (SES falls back to the generic rules). */
  readonly fallback?: ProviderProfile;
}

/** Actions a rule may take for each reply class; anything else is a profile bug (see profile-check.ts). */
const ACTIONS_BY_CLASS: Readonly<Record<2 | 3 | 4 | 5, readonly Action[]>> = {
  2: ['continue'],
  3: ['continue'],
  4: ['retry', 'slow-down', 'reduce-connections', 'reconnect', 'stop-sending'],
  5: ['reject', 'fix-credentials'],
};

/** The code for a 5yz with no matching rule, by the command it answered (RFC 5321 §4.2.2, §4.3.2). */
const PERMANENT_CODE_BY_PHASE: Readonly<Record<Phase, ErrorCode>> = {
  connect: ErrorCodes.GREETING_REFUSED, // §3.1: 554 instead of 220
  greeting: ErrorCodes.GREETING_REFUSED,
  ehlo: ErrorCodes.EHLO_REFUSED,
  helo: ErrorCodes.EHLO_REFUSED,
  starttls: ErrorCodes.TLS_REQUIRED, // RFC 3207 §4
  tls: ErrorCodes.TLS_REQUIRED,
  auth: ErrorCodes.AUTH_FAILED, // RFC 4954 §6
  ready: ErrorCodes.REPLY_UNEXPECTED, // nothing was asked
  mail: ErrorCodes.SENDER_REJECTED,
  // Per recipient: the session records it in SendResult.rejected and raises this code only when
  // every recipient was refused.
  rcpt: ErrorCodes.ALL_RECIPIENTS_REJECTED,
  data: ErrorCodes.DATA_REJECTED,
  body: ErrorCodes.MESSAGE_REJECTED, // an early reply while the body is being written
  'data-end': ErrorCodes.MESSAGE_REJECTED, // §4.2.5
  rset: ErrorCodes.REPLY_UNEXPECTED,
  quit: ErrorCodes.REPLY_UNEXPECTED,
  closed: ErrorCodes.REPLY_UNEXPECTED,
};

/**
 * What to do about `reply`, received in `phase`. Total: any integer code gives a Disposition.
 * Profile rules are tried in order, then the profile's fallback chain, then the RFC 5321 class.
 */
export function classifyReply(
  reply: Reply,
  phase: Phase,
  profile: ProviderProfile = GENERIC_PROFILE,
): Disposition {
  const replyClass = classOf(reply.code);
  if (replyClass === undefined) return malformed(phase);
  const { outcome, retryable } = consequences(replyClass);
  const rule = findRule(reply, phase, profile);
  if (rule !== undefined) {
    return { action: rule.action, code: rule.errorCode, outcome, retryable, rule: rule.id };
  }
  return { action: defaultAction(replyClass), code: defaultCode(replyClass, phase), outcome, retryable };
}

/**
 * RFC 5321 §4.5.3.1.10: RFC 821 gave "too many recipients" the code 552, and clients SHOULD treat a
 * 552 at RCPT for it as the temporary 452 it is. Known by its enhanced code 5.5.3 (RFC 3463 §3.6)
 * or its text; any other 552 at RCPT (5.2.2 mailbox full) stays permanent.
 */
export function isRecipientLimit552(reply: Reply): boolean {
  if (reply.code !== 552) return false;
  const text = reply.lines[0] ?? '';
  const enhanced = reply.enhanced ?? parseEnhancedStatus(reply.code, text);
  return (enhanced?.subject === 5 && enhanced.detail === 3) || /too many recipients/i.test(text);
}

/** How to classify a refusal at RCPT: a 552 "too many recipients" as the 452 it stands for. */
export function asRcptRefusal(reply: Reply): Reply {
  if (!isRecipientLimit552(reply)) return reply;
  const { enhanced: _, ...rest } = reply;
  return { ...rest, code: 452 };
}

/**
 * One recipient's refusal at RCPT, as at RCPT (a 552 "too many recipients" as its 452), except that
 * what would be SMTP_ALL_RECIPIENTS_REJECTED (a 5yz's default at RCPT, or a rule's that names it)
 * is SMTP_RECIPIENT_REJECTED: the former is the transaction's code, for when every recipient was
 * refused, and would misname one refusal beside accepted ones.
 */
export function classifyRecipientRefusal(
  reply: Reply,
  profile: ProviderProfile = GENERIC_PROFILE,
): Disposition {
  const disposition = classifyReply(asRcptRefusal(reply), 'rcpt', profile);
  return disposition.code === ErrorCodes.ALL_RECIPIENTS_REJECTED
    ? { ...disposition, code: ErrorCodes.RECIPIENT_REJECTED }
    : disposition;
}

/**
 * A refusal at RCPT that another transaction may overcome (RFC 5321 §4.5.4.1): a 4yz, or a 552 "too
 * many recipients". The session reports an envelope of only such refusals as `not-sent`; the pool
 * sends those recipients again and reports the others.
 */
export function deferredAtRcpt(reply: Reply): boolean {
  return (reply.code >= 400 && reply.code < 500) || isRecipientLimit552(reply);
}

/** The first rule of `profile` (or of its fallbacks) that matches, if any. */
export function findRule(reply: Reply, phase: Phase, profile: ProviderProfile): ReplyRule | undefined {
  const text = reply.lines.join(' ');
  for (let current: ProviderProfile | undefined = profile; current; current = current.fallback) {
    const rule = current.rules.find((candidate) => ruleMatches(candidate, reply.code, text, phase));
    if (rule !== undefined) return rule;
  }
  return undefined;
}

/** The actions a rule for `code` may take (none for a code outside 200-599): RFC 5321 §4.2.1 classes. */
export function actionsForCode(code: number): readonly Action[] {
  const replyClass = classOf(code);
  return replyClass === undefined ? [] : ACTIONS_BY_CLASS[replyClass];
}

function ruleMatches(rule: ReplyRule, code: number, text: string, phase: Phase): boolean {
  if (rule.code !== code) return false;
  if (rule.phases !== undefined && !rule.phases.includes(phase)) return false;
  // A rule that somehow fits another class is ignored rather than allowed to break §4.2.1.
  if (!actionsForCode(code).includes(rule.action)) return false;
  return rule.text === undefined || rule.text.test(text);
}

function classOf(code: number): 2 | 3 | 4 | 5 | undefined {
  if (!Number.isInteger(code) || code < 200 || code > 599) return undefined;
  return Math.floor(code / 100) as 2 | 3 | 4 | 5;
}

/** RFC 5321 §4.2.1: 4yz may succeed if repeated unchanged; 5yz will not. */
function consequences(replyClass: 2 | 3 | 4 | 5): { outcome: Outcome; retryable: boolean } {
  if (replyClass === 5) return { outcome: 'rejected', retryable: false };
  if (replyClass === 4) return { outcome: 'not-sent', retryable: true };
  // Positive replies: outcome/retryable describe an error the caller might still build from an
  // unexpected positive reply; nothing was refused, so nothing to retry.
  return { outcome: 'not-sent', retryable: false };
}

function defaultAction(replyClass: 2 | 3 | 4 | 5): Action {
  if (replyClass === 5) return 'reject';
  if (replyClass === 4) return 'retry';
  return 'continue';
}

function defaultCode(replyClass: 2 | 3 | 4 | 5, phase: Phase): ErrorCode {
  if (replyClass === 5) return PERMANENT_CODE_BY_PHASE[phase];
  if (replyClass === 4) return ErrorCodes.TRANSIENT_FAILURE;
  // Used only if the session turns a positive reply into an error (e.g. 250 where 354 was due).
  return ErrorCodes.REPLY_UNEXPECTED;
}

/** Not an SMTP reply code (the parser should have refused it): after the dot, delivery is unknown. */
function malformed(phase: Phase): Disposition {
  const outcome: Outcome = phase === 'body' || phase === 'data-end' ? 'unknown' : 'not-sent';
  return { action: 'reject', code: ErrorCodes.REPLY_MALFORMED, outcome, retryable: false };
}
