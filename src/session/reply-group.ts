/**
 * A pipelined read's replies taken in one machine step (RFC 2920 §3.1–3.2: replies come in the order
 * of the commands; RFC 5321 §4.2.1 reply classes). In steady state one read brings the reply to the
 * dot and the next envelope's MAIL, RCPT and 354 replies; taking them one event each costs xstate a
 * microstep apiece, so the machine also takes a whole group in one transition (`replies.received`),
 * but only on its plainest path: every reply the positive one expected in turn, exactly as the
 * one-by-one transitions would take it. Anything else (a refusal, a 421, BDAT, lock-step, a large
 * body, a reply nobody asked for) plans nothing, and the facade delivers the replies one at a time.
 *
 * `planGroup` is that path written once, over the same transaction functions the one-by-one actions
 * use; a property test checks that one group step and the one-by-one steps end in the same state,
 * context and effects (test/session/reply-group.test.ts).
 */
import type { Reply } from '../protocol/reply-types.js';
import { type MachineEffect, type SessionContext, writeBodyEffect } from './machine-types.js';
import * as T from './transaction.js';

/** The states a group can start in or end in. */
export type GroupState = 'mail' | 'rcpt' | 'data' | 'dataEnd';

/**
 * Where a group starting in each state can end: along dot → MAIL → RCPT… → 354, where the 354 (after
 * which the body is written) is always the last reply of a group. None starts in `data`: its only
 * reply is that 354.
 */
export const GROUP_ENDS = {
  mail: ['rcpt', 'data', 'dataEnd'],
  rcpt: ['rcpt', 'data', 'dataEnd'],
  dataEnd: ['mail', 'rcpt', 'data', 'dataEnd'],
} as const satisfies Record<string, readonly GroupState[]>;
export type GroupStart = keyof typeof GROUP_ENDS;

export interface GroupPlan {
  readonly end: GroupState;
  readonly tx: T.Transaction | undefined;
  readonly next: T.Transaction | undefined;
  readonly messagesSent: number;
  /** In the order the one-by-one transitions would emit them. */
  readonly effects: readonly MachineEffect[];
}

/**
 * Where the replies of one read leave a session in `from`, when each is the positive reply its
 * position expects on a pipelined DATA transaction; undefined otherwise. `trailing`: bytes of a
 * further reply came behind the last one.
 */
export function planGroup(
  from: GroupState,
  context: SessionContext,
  replies: readonly Reply[],
  trailing: boolean,
): GroupPlan | undefined {
  if (replies.length < 2) return undefined;
  const { caps, config } = context;
  let state: GroupState = from;
  let tx = context.tx;
  let next = context.next;
  let messagesSent = context.messagesSent;
  const effects: MachineEffect[] = [];
  const last = replies.length - 1;
  for (let index = 0; index <= last; index++) {
    const reply = replies[index] as Reply;
    const behind = index < last || trailing;
    // Only a pipelined DATA transaction whose replies are all positive so far.
    if (tx === undefined || !tx.pipelined || tx.transfer !== 'data' || tx.failure !== undefined) return;
    switch (state) {
      case 'dataEnd': {
        // settled('positive'): the dot's reply; the next envelope must already be on the wire when
        // anything follows it (otherwise a reply behind the dot answers nothing we asked).
        if (!T.isPositive(reply) || !tx.bodyWritten) return;
        if (next?.written !== true || next.failure !== undefined) return;
        effects.push({
          type: 'settle',
          id: tx.id,
          settlement: { ok: true, result: T.sendResult(tx, reply) },
        });
        tx = next;
        next = undefined;
        messagesSent += 1;
        state = 'mail';
        break;
      }
      case 'mail':
        if (!T.isPositive(reply) || !tx.written) return;
        tx = T.recordMail(tx, reply, config.profile);
        state = 'rcpt';
        break;
      case 'rcpt': {
        if (!T.isPositive(reply)) return;
        const recorded = T.recordRecipient(tx, reply);
        if (T.hasMoreRecipients(recorded)) {
          tx = recorded;
          break;
        }
        tx = T.finishEnvelope(recorded);
        state = 'data';
        break;
      }
      case 'data': {
        // goAheadInline: the 354 to a small body of known size, the last reply of the read.
        if (reply.code !== 354 || behind || !T.envelopeAccepted(tx) || !T.bodyInline(tx)) return;
        effects.push(writeBodyEffect(context, tx, true));
        tx = { ...tx, bodyWritten: true };
        if (next !== undefined && next.transfer === 'data') {
          effects.push({ type: 'write', commands: T.envelopeCommands(next, caps) });
          next = { ...next, written: true };
        }
        state = 'dataEnd';
        break;
      }
    }
  }
  return { end: state, tx, next, messagesSent, effects };
}

const plans = new WeakMap<
  object,
  { context: SessionContext; from: GroupState; plan: GroupPlan | undefined }
>();

/** planGroup for one event, computed once for the guards and the action of the same step. */
export function groupPlanFor(
  event: { readonly replies: readonly Reply[]; readonly trailing: boolean },
  from: GroupState,
  context: SessionContext,
): GroupPlan | undefined {
  const cached = plans.get(event);
  if (cached !== undefined && cached.context === context && cached.from === from) return cached.plan;
  const plan = planGroup(from, context, event.replies, event.trailing);
  plans.set(event, { context, from, plan });
  return plan;
}
