/**
 * Transition templates shared by the session machine's states (RFC 5321 §3.8 421, §4.2.1 reply
 * classes, §4.5.3.2 timeouts): the losses every waiting state has, refusals, aborts, the next send.
 */
import type { ErrorCodes } from '../errors/codes.js';
import type { Outcome, Phase } from '../errors/smtp-error.js';
import type { Outstanding } from './machine-guards.js';
import type { TimerName } from './machine-types.js';
import { GROUP_ENDS, type GroupStart } from './reply-group.js';

export const losses = (phase: Phase, outcome: Outcome = 'not-sent') =>
  ({
    'connection.closed': { target: '#session.failed', actions: { type: 'lost', params: { phase, outcome } } },
    'reply.malformed': {
      target: '#session.failed',
      actions: { type: 'malformed', params: { phase, outcome } },
    },
    'command.refused': {
      target: '#session.failed',
      actions: { type: 'commandRefused', params: { phase, outcome } },
    },
    'quit.requested': { target: '#session.closed', actions: { type: 'abandon', params: { phase, outcome } } },
    'drop.requested': { target: '#session.closed', actions: { type: 'abandon', params: { phase, outcome } } },
  }) as const;
/** Aborts name their send: a held next leaves quietly, the current one closes the session. */
export const abortable = (phase: Phase, outcome: Outcome = 'not-sent') =>
  [
    { guard: 'abortsNext', actions: 'abortNext' },
    {
      guard: 'abortsCurrent',
      target: '#session.closed',
      actions: { type: 'abort', params: { phase, outcome } },
    },
  ] as const;
/** A send while a pipelined transaction is in flight: held as next (pre-checked first); its envelope goes at once when the dot is out. */
export const holdNext = (behindDot = false) =>
  [
    { guard: 'precheckFails', actions: 'refuseSend' },
    { guard: 'canHoldNext', actions: { type: 'holdNext', params: { behindDot } } },
  ] as const;
/** Body progress while the envelope replies are still coming (a BDAT chunk that rode with the envelope). */
export const bodyAlongside = {
  'body.progress': {},
  'body.finished': { actions: 'bodyWritten' },
  'body.failed': { target: '#session.failed', actions: 'localFailure' },
} as const;
/**
 * A 421 to the envelope behind a LAST chunk already written (RFC 3030 §4.2): the 421 is kept as the
 * session's error and the session reads on until the server closes (see `closingBehindChunk`).
 */
export const closingWithChunkOut = (phase: Phase) =>
  ({
    guard: 'closingBehindChunk',
    target: '#session.closingBehindChunk',
    actions: [
      { type: 'refused', params: { phase } },
      { type: 'owedBehindClosing', params: { phase } },
    ],
  }) as const;
export const closing = (phase: Phase) =>
  ({
    guard: 'serviceClosing',
    target: '#session.failed',
    actions: { type: 'refused', params: { phase } },
  }) as const;
export const refused = (phase: Phase) =>
  ({ guard: 'refusal', target: '#session.failed', actions: { type: 'refused', params: { phase } } }) as const;
/**
 * A refusal that ends the session while the dialogue is in step (the reply answered the one command
 * outstanding; a 421, tried first, is the server leaving): QUIT before the close (RFC 5321
 * §4.1.1.10: not "even if there was an error response"; §3.1 for a 554 greeting).
 */
export const refusedInStep = (phase: Phase) =>
  ({
    guard: 'refusal',
    target: '#session.failed',
    actions: [{ type: 'refused', params: { phase } }, 'quitAfterRefusal'],
  }) as const;
export const unexpected = (phase: Phase, outcome: Outcome = 'not-sent') =>
  ({ target: '#session.failed', actions: { type: 'unexpected', params: { phase, outcome } } }) as const;
/** threats.md §6: a reply nobody asked for, behind the one that was (lock-step only: see Outstanding). */
export const unasked = (phase: Phase, outstanding: Outstanding, outcome: Outcome = 'not-sent') =>
  ({
    guard: { type: 'unaskedBehind', params: { outstanding } },
    target: '#session.failed',
    actions: { type: 'unasked', params: { phase, outcome } },
  }) as const;
/** RFC 5321 §4.5.3.2: the entry action of a state that waits for the server (re-entry restarts the timer). */
export const arms = (timer: TimerName) => ({ type: 'arm', params: { timer } }) as const;
/** What `timer.expired` does in the state that armed it. */
export const timeout = (phase: Phase, outcome: Outcome = 'not-sent') =>
  ({ target: '#session.failed', actions: { type: 'timedOut', params: { phase, outcome } } }) as const;
export const endWith = (phase: Phase, code: (typeof ErrorCodes)[keyof typeof ErrorCodes]) =>
  ({ target: '#session.failed', actions: { type: 'sessionRefused', params: { phase, code } } }) as const;
/** endWith, where the server is waiting for a command (what it offers will not do): QUIT first (RFC 5321 §4.1.1.10). */
export const endWithQuit = (phase: Phase, code: (typeof ErrorCodes)[keyof typeof ErrorCodes]) =>
  ({
    target: '#session.failed',
    actions: [{ type: 'sessionRefused', params: { phase, code } }, 'quitAfterRefusal'],
  }) as const;

type SettleAction =
  | 'delivered'
  | 'settleRefusal'
  | { readonly type: 'refuseTransaction'; readonly params: { readonly phase: Phase } };

/**
 * The reply that ends a transaction (`reply`), its settlement (`settle`: the held next, if any, becomes
 * the current transaction), and what comes next in the same step: the held next's replies follow (it was written behind the dot), or it is written now,
 * or the session is ready. A next aborted after it was written closes the session.
 */
export const settled = (reply: 'positive' | 'refusal' | 'any', settle: readonly SettleAction[]) =>
  [
    {
      guard: { type: 'settles', params: { reply, next: 'aborted' } },
      target: '#session.closed',
      actions: settle,
    },
    {
      guard: { type: 'settles', params: { reply, next: 'written' } },
      target: 'mail',
      actions: settle,
    },
    {
      guard: { type: 'settles', params: { reply, next: 'held' } },
      target: 'mail',
      actions: [...settle, 'writeEnvelope'],
    },
    { guard: { type: 'settles', params: { reply, next: 'none' } }, target: 'ready', actions: settle },
  ] as const;

/**
 * A read's replies in one step (reply-group.ts): taken only when each is the positive reply expected
 * in turn, to wherever the last one leaves the transaction; otherwise no step, and they come one by one.
 */
export const group = (from: GroupStart) => [
  ...(from === 'dataEnd' ? [steadyGroup] : []),
  ...GROUP_ENDS[from].map(
    (to) =>
      ({
        guard: { type: 'groupTaken', params: { from, to } },
        target: to,
        reenter: true,
        actions: { type: 'takeGroup', params: { from } },
      }) as const,
  ),
];

/**
 * The steady pipelined message's step (the dot's 250, the next envelope's replies and 354, the send
 * after it riding): the same transition as the `dataEnd → dataEnd` row below it, for a plan of exactly
 * its three effects (settle, body, next envelope), listed as three emits and an assign.
 */
const steadyGroup = {
  guard: { type: 'groupTaken', params: { from: 'dataEnd', to: 'dataEnd', effects: 3 } },
  target: 'dataEnd',
  reenter: true,
  actions: [
    { type: 'emitGroupEffect', params: { from: 'dataEnd', index: 0 } },
    { type: 'emitGroupEffect', params: { from: 'dataEnd', index: 1 } },
    { type: 'emitGroupEffect', params: { from: 'dataEnd', index: 2 } },
    { type: 'assignGroup', params: { from: 'dataEnd' } },
  ],
} as const;
