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
 *
 * The step may also carry the next send (`send`), when the facade's owner handed one over for the
 * moment these replies make the session able to hold it: `planSend` then does what the
 * `send.requested` that would otherwise follow does (machine-transitions.ts holdNext, RFC 2920
 * §3.1) — refused by the pre-check, or held as next, its envelope written behind the dot when the
 * group ends in `dataEnd` — so a steady pipelined message costs the machine one step, not two.
 */
import type { Reply } from '../protocol/reply-types.js';
import {
  acceptsSend,
  type HandedSend,
  type MachineEffect,
  type SessionContext,
  writeBodyEffect,
} from './machine-types.js';
import * as T from './transaction.js';

/** The states a group can start in or end in. */
export type GroupState = 'mail' | 'rcpt' | 'data' | 'dataEnd';

/**
 * Where a group starting in each state can end: along dot → MAIL → RCPT… → 354, where the 354 (after
 * which the body is written) is always the last reply of a group. None starts in `data`: its only
 * reply is that 354. The ends are exclusive (one plan, one end); `dataEnd`, the steady pipelined
 * message's, is listed first only because the machine tries its guards in this order.
 */
export const GROUP_ENDS = {
  mail: ['dataEnd', 'rcpt', 'data'],
  rcpt: ['dataEnd', 'rcpt', 'data'],
  dataEnd: ['dataEnd', 'mail', 'rcpt', 'data'],
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
 * position expects on a pipelined DATA transaction; undefined otherwise. (A group step takes two or
 * more: groupPlanFor; one reply alone is planned only for waitsForRest.) `trailing`: bytes of a
 * further reply came behind the last one.
 */
export function planGroup(
  from: GroupState,
  context: SessionContext,
  replies: readonly Reply[],
  trailing: boolean,
): GroupPlan | undefined {
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

/**
 * The send that would come right after the group (a `send.requested` in the group's last state):
 * refused by the pre-check (settled at once), or held as next — written at once when the dot is out.
 * Undefined when the machine would not take it (no pipelined transaction, or a next already held).
 */
export function planSend(plan: GroupPlan, send: HandedSend, context: SessionContext): GroupPlan | undefined {
  const { caps, config } = context;
  const refusal = T.precheck(send.request, caps, config);
  if (refusal !== undefined)
    return {
      ...plan,
      effects: [...plan.effects, { type: 'settle', id: send.id, settlement: { ok: false, error: refusal } }],
    };
  // guard canHoldNext; holdNext({ behindDot }) where dataEnd holds (transaction-states.ts).
  if (plan.tx?.pipelined !== true || plan.next !== undefined) return undefined;
  const next = T.createTransaction(send.id, send.request, caps, config);
  if (plan.end !== 'dataEnd' || next.transfer !== 'data') return { ...plan, next };
  return {
    ...plan,
    next: { ...next, written: true },
    effects: [...plan.effects, { type: 'write', commands: T.envelopeCommands(next, caps) }],
  };
}

/**
 * Whether replies the session is waiting for (a read's first part of a pipelined flight's) may wait
 * for the rest before the machine takes them: each the positive reply its position expects, and the
 * plan stops short of the 354 — the one reply of a flight that makes the machine write (the body,
 * the next envelope). Taking them later then changes nothing but when the earlier message settles;
 * taken now, they cost a machine step of their own (the facade's `coalesceReplies`).
 */
export function waitsForRest(
  from: GroupState,
  context: SessionContext,
  replies: readonly Reply[],
  trailing: boolean,
): boolean {
  const plan = planOf(replies, from, context, trailing);
  return plan !== undefined && plan.end !== 'dataEnd';
}

/** Where a group leaves the session, would it take a send then (`acceptsSend` over the plan's end)? */
export const planAcceptsSend = (plan: GroupPlan): boolean => acceptsSend(plan.end, plan);

/**
 * The last plan computed, by what it was computed from (identity): the guards and the action of one
 * step ask for the same plan several times in a row, and the facade asks first (without and then
 * with the send). One entry each, not a map: a step is planned, taken and done before the next.
 */
interface Memo {
  key: object | undefined;
  from: GroupState | undefined;
  context: SessionContext | undefined;
  trailing: boolean;
  plan: GroupPlan | undefined;
}
const replyMemo: Memo = {
  key: undefined,
  from: undefined,
  context: undefined,
  trailing: false,
  plan: undefined,
};
const eventMemo: Memo = { ...replyMemo };

/** Whether `memo` holds the plan computed from these (by identity). */
const holds = (
  memo: Memo,
  key: object,
  from: GroupState,
  context: SessionContext,
  trailing: boolean,
): boolean =>
  memo.key === key && memo.from === from && memo.context === context && memo.trailing === trailing;

function remember(
  memo: Memo,
  key: object,
  from: GroupState,
  context: SessionContext,
  trailing: boolean,
  plan: GroupPlan | undefined,
): GroupPlan | undefined {
  memo.key = key;
  memo.from = from;
  memo.context = context;
  memo.trailing = trailing;
  memo.plan = plan;
  return plan;
}

/** Drops the memos (the facade calls it once a step is done, so no context outlives its session here). */
export function releasePlans(): void {
  for (const memo of [replyMemo, eventMemo]) {
    memo.key = memo.context = memo.from = memo.plan = undefined;
  }
}

/** The plan of one `replies.received` step, computed once for the guards and the action of that step. */
export function groupPlanFor(
  event: { readonly replies: readonly Reply[]; readonly trailing: boolean; readonly send?: HandedSend },
  from: GroupState,
  context: SessionContext,
): GroupPlan | undefined {
  const { replies, trailing, send } = event;
  // No closure per question: the guards and the action of every step ask (bench/README.md).
  if (holds(eventMemo, event, from, context, trailing)) return eventMemo.plan;
  const plan = replies.length < 2 ? undefined : planOf(replies, from, context, trailing);
  return remember(
    eventMemo,
    event,
    from,
    context,
    trailing,
    plan === undefined || send === undefined ? plan : planSend(plan, send, context),
  );
}

/** planGroup, once per read's replies (waitsForRest, then the facade's offer and the step, ask in turn). */
function planOf(
  replies: readonly Reply[],
  from: GroupState,
  context: SessionContext,
  trailing: boolean,
): GroupPlan | undefined {
  if (holds(replyMemo, replies, from, context, trailing)) return replyMemo.plan;
  return remember(replyMemo, replies, from, context, trailing, planGroup(from, context, replies, trailing));
}
