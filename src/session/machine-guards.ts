/**
 * The session machine's guards: pure questions about the reply (RFC 5321 §4.2.1 classes), the
 * configuration and the transactions in flight (RFC 2920 pipelining, RFC 3030 BDAT).
 */
import type { Reply } from '../protocol/reply-types.js';
import type { SessionContext, SessionEvent } from './machine-types.js';
import { type GroupState, groupPlanFor } from './reply-group.js';
import { chooseMechanism } from './sasl.js';
import * as T from './transaction.js';
import type { Security } from './types.js';

/** RFC 4954 does not bound the exchange; threats.md §6 asks us to. No mechanism here needs more than 2. */
export const MAX_AUTH_CHALLENGES = 5;

type Args = { context: SessionContext; event: SessionEvent };

export interface SettlesParams {
  readonly reply: 'positive' | 'refusal' | 'any';
  readonly next: 'aborted' | 'written' | 'held' | 'none';
}
const NEXT_IS: Record<SettlesParams['next'], (next: T.Transaction | undefined) => boolean> = {
  aborted: (next) => next?.written === true && next.failure !== undefined,
  written: (next) => next?.written === true && next.failure === undefined,
  held: (next) => next !== undefined && !next.written,
  none: (next) => next === undefined,
};

/** Where exactly one reply is outstanding (lock-step), anything behind it answers nothing we asked. */
export type Outstanding = 'one' | 'lockStep' | 'dot' | 'chunk';
const ONE_OUTSTANDING: Record<Outstanding, (context: SessionContext) => boolean> = {
  /** greeting, EHLO/HELO, AUTH, DATA's 354 (the last of any group), RSET. */
  one: () => true,
  /** MAIL/RCPT written one at a time (no PIPELINING group). */
  lockStep: (context) => context.tx?.pipelined !== true,
  /** The dot, unless the next envelope was written behind it (RFC 2920 §3.1). */
  dot: (context) => context.next?.written !== true,
  /** The only BDAT chunk not answered yet. */
  chunk: (context) => context.tx !== undefined && context.tx.chunks - context.tx.chunkReplies === 1,
};

export const replyOf = (event: SessionEvent): Reply | undefined =>
  event.type === 'reply.received' ? event.reply : undefined;
export const classOf = (event: SessionEvent): number => Math.trunc((replyOf(event)?.code ?? 0) / 100);
export const txOf = (context: SessionContext): T.Transaction => context.tx as T.Transaction;
/** The transaction as it will be once the current RCPT reply is recorded (guards run before actions). */
export const afterRcpt = (context: SessionContext, event: SessionEvent): T.Transaction =>
  T.recordRecipient(txOf(context), replyOf(event) ?? { code: 0, lines: [] });
const lastRcpt = (context: SessionContext, event: SessionEvent): T.Transaction =>
  T.finishEnvelope(afterRcpt(context, event));
const idOf = (event: SessionEvent): number | undefined =>
  event.type === 'send.aborted' ? event.id : undefined;

/**
 * RFC 5321 §3.2: after EHLO refused with 5yz, HELO where nothing is lost by it: no AUTH to do, and no
 * STARTTLS required (HELO would strip it, threats.md §1). Over implicit TLS it is already up. Shared
 * with the CLI's check, which must agree with send.
 */
export function heloFallbackAllowed(security: Security, hasCredentials: boolean): boolean {
  return !hasCredentials && security !== 'starttls';
}

export const guards = {
  replyIs: ({ event }: Args, params: { code: number }) => replyOf(event)?.code === params.code,
  replyClass: ({ event }: Args, params: { class: 2 | 3 | 4 | 5 }) => classOf(event) === params.class,
  refusal: ({ event }: Args) => classOf(event) === 4 || classOf(event) === 5,
  serviceClosing: ({ event }: Args) => replyOf(event)?.code === 421,
  /** threats.md §1: bytes behind the 220 to STARTTLS, before the handshake (response injection). */
  goAheadWithBytesBehind: ({ event }: Args) =>
    event.type === 'reply.received' && event.trailing && event.reply.code === 220,
  /** threats.md §6: more replies or bytes behind the only reply outstanding (the facade's `trailing`). */
  unaskedBehind: ({ context, event }: Args, params: { outstanding: Outstanding }) =>
    event.type === 'reply.received' &&
    event.trailing &&
    // A 421 alone behind it is the server closing (RFC 5321 §3.8), not an answer: it comes next.
    event.closingBehind !== true &&
    ONE_OUTSTANDING[params.outstanding](context),
  /** RFC 5321 §3.2: EHLO refused with 5yz → HELO, where heloFallbackAllowed. */
  heloAllowed: ({ context, event }: Args) =>
    classOf(event) === 5 &&
    heloFallbackAllowed(context.config.security, context.config.credentials !== undefined),
  startTlsOffered: ({ context }: Args) =>
    !context.tls &&
    context.caps.startTls &&
    (context.config.security === 'starttls' || context.config.security === 'starttls-opportunistic'),
  /** RFC 3207 §4: a refused STARTTLS is survived in plaintext when TLS is optional and no AUTH would follow. */
  startTlsRefusedOptional: ({ context, event }: Args) =>
    (classOf(event) === 4 || classOf(event) === 5) &&
    context.config.security === 'starttls-opportunistic' &&
    context.config.credentials === undefined,
  tlsRequiredButMissing: ({ context }: Args) => !context.tls && context.config.security === 'starttls',
  noAuthConfigured: ({ context }: Args) => context.config.credentials === undefined,
  authWithoutTls: ({ context }: Args) => !context.tls && !context.config.allowAuthWithoutTls,
  noUsableMechanism: ({ context }: Args) =>
    chooseMechanism(context.caps.auth, context.config.credentials!.reveal(), context.config.hmacMd5) ===
    undefined,
  challengeLimitReached: ({ context, event }: Args) =>
    replyOf(event)?.code === 334 && (context.auth?.challenges ?? 0) >= MAX_AUTH_CHALLENGES,

  // Transactions.
  precheckFails: ({ context, event }: Args) =>
    event.type === 'send.requested' && T.precheck(event.request, context.caps, context.config) !== undefined,
  /** RFC 2920 §3.1: a pipelined transaction in flight may have one next transaction behind it. */
  canHoldNext: ({ context }: Args) => context.tx?.pipelined === true && context.next === undefined,
  hasNext: ({ context }: Args) => context.next !== undefined,
  abortsNext: ({ context, event }: Args) => idOf(event) !== undefined && idOf(event) === context.next?.id,
  abortsCurrent: ({ context, event }: Args) => idOf(event) !== undefined && idOf(event) === context.tx?.id,
  pipelined: ({ context }: Args) => context.tx?.pipelined === true,
  moreRecipients: ({ context, event }: Args) => T.hasMoreRecipients(afterRcpt(context, event)),
  moreRecipientsPipelined: ({ context, event }: Args) =>
    context.tx?.pipelined === true && T.hasMoreRecipients(afterRcpt(context, event)),
  /** After the last RCPT reply of a pipelined BDAT group whose only chunk is already on the wire. */
  chunkWritten: ({ context }: Args) => context.tx?.bodyWritten === true,
  /** A 421 to the envelope while the LAST chunk that rode with it is already on the wire. */
  closingBehindChunk: ({ context, event }: Args) =>
    replyOf(event)?.code === 421 && context.tx?.bodyWritten === true,
  /** Behind that 421: the reply to the LAST chunk (the last one owed), positive or not. */
  chunkReplyAccepted: ({ context, event }: Args) =>
    (context.tx?.repliesOwed ?? 0) <= 1 && classOf(event) === 2,
  chunkReplyRefused: ({ context, event }: Args) =>
    (context.tx?.repliesOwed ?? 0) <= 1 && (classOf(event) === 4 || classOf(event) === 5),
  chunkReplyDue: ({ context }: Args) => (context.tx?.repliesOwed ?? 0) <= 1,
  /**
   * The close cut a reply short: one was being written, perhaps the chunk's. (A reset alone is the
   * usual end of a server that stopped reading after its 421, with our chunk unread: no evidence.)
   */
  closedMidReply: ({ event }: Args) => event.type === 'connection.closed' && event.partial !== undefined,
  /** … whose only chunk rode with the envelope and is still being written (back-pressure). */
  chunkBeingWritten: ({ context }: Args) =>
    context.tx !== undefined && context.tx.chunks > 0 && !context.tx.bodyWritten,
  dataPipelined: ({ context }: Args) => context.tx?.pipelined === true && context.tx.transfer === 'data',
  envelopeWillBeAccepted: ({ context, event }: Args) => T.envelopeAccepted(lastRcpt(context, event)),
  chunkingWillGoAhead: ({ context, event }: Args) =>
    context.tx?.transfer === 'bdat' && T.envelopeAccepted(lastRcpt(context, event)),
  /** The 354 for a small body of known size: it is written at once and the dot follows in this flight. */
  goAheadInline: ({ context, event }: Args) =>
    replyOf(event)?.code === 354 && context.tx !== undefined && T.bodyInline(context.tx),
  goAheadAfterRefusedEnvelope: ({ context, event }: Args) =>
    replyOf(event)?.code === 354 && context.tx !== undefined && !T.envelopeAccepted(context.tx),
  /** A 2xx to a chunk that was written (a reply nobody asked for is unexpected). */
  chunkAccepted: ({ context, event }: Args) =>
    classOf(event) === 2 &&
    context.tx !== undefined &&
    context.tx.chunkReplies < context.tx.chunks &&
    // RFC 3030 §2: the one LAST chunk of a known-size body is answered once all of it is written.
    !(context.tx.request.unstuffedSize !== undefined && !context.tx.bodyWritten),
  moreChunkReplies: ({ context }: Args) => context.tx !== undefined && !T.isFinalChunkReply(context.tx),
  failedBefore: ({ context }: Args) => context.tx?.failure !== undefined,
  acceptedAfterRefusal: ({ context, event }: Args) =>
    context.tx?.failure !== undefined && classOf(event) === 2,
  /** A read's replies, all the positive ones expected in turn, that leave the transaction in `to`. */
  groupTaken: ({ context, event }: Args, params: { from: GroupState; to: GroupState; effects?: number }) => {
    if (event.type !== 'replies.received') return false;
    const plan = groupPlanFor(event, params.from, context);
    return (
      plan?.end === params.to && (params.effects === undefined || plan.effects.length === params.effects)
    );
  },
  /** A reply that ends the transaction (2xx, 4xx/5xx or any), and what is held behind it (exclusive cases). */
  settles: ({ context, event }: Args, params: SettlesParams) =>
    (params.reply === 'any' ||
      (params.reply === 'positive' ? classOf(event) === 2 : classOf(event) === 4 || classOf(event) === 5)) &&
    NEXT_IS[params.next](context.next),
};
