/**
 * The session machine's setup: timers (RFC 5321 §4.5.3.2), guards (machine-guards.ts) and actions —
 * writes, capability and AUTH bookkeeping, transactions (RFC 2920 next transaction, RFC 3030 BDAT)
 * and the ends. The table that uses them is session-machine.ts.
 */
import { assign, emit, enqueueActions, setup } from 'xstate';
import { ErrorCodes } from '../errors/codes.js';
import {
  type Outcome,
  type Phase,
  SmtpConnectionError,
  SmtpError,
  SmtpProtocolError,
  SmtpUsageError,
  withRejectedRecipients,
} from '../errors/smtp-error.js';
import { NO_CAPABILITIES, parseEhloReply } from '../protocol/capabilities.js';
import type { Command } from '../protocol/command.js';
import type { Reply } from '../protocol/reply-types.js';
import {
  aborted,
  clientClosed,
  connectionLost,
  describeReply,
  dialFailed,
  notSentBehind,
  notSentBehindAbort,
  protocolError,
  refusal,
  timedOut,
  unaskedReply,
  unexpectedReply,
  withOutcome,
} from './failures.js';
import { afterRcpt, guards, MAX_AUTH_CHALLENGES, replyOf, txOf } from './machine-guards.js';
import {
  type MachineEffect,
  type SessionConfig,
  type SessionContext,
  type SessionEvent,
  type TimerName,
  writeBodyEffect,
} from './machine-types.js';
import { AFTER_AUTH, credentialForms, mayQuoteSecret, passwordForms, scrubReply } from './redaction.js';
import { type GroupState, groupPlanFor } from './reply-group.js';
import { answerChallenge, CANCEL, type Credentials, chooseMechanism, startAuth } from './sasl.js';
import { Secret } from './secret.js';
import * as T from './transaction.js';

export { MAX_AUTH_CHALLENGES } from './machine-guards.js';
export type {
  MachineEffect,
  SessionConfig,
  SessionContext,
  SessionEvent,
} from './machine-types.js';

const credentialsOf = (context: SessionContext): Credentials | undefined =>
  context.config.credentials?.reveal();
const write = (...commands: Command[]) => ({ type: 'write' as const, commands });
const fail = (error: SmtpError) => ({ error });
const settle = (id: number, error: SmtpError) =>
  ({ type: 'settle', id, settlement: { ok: false, error } }) as const;
/**
 * A transaction's failure as its send settles: with the recipients the server refused on the way
 * (README: "5xx recipients are reported"), unless the error lists its own (ALL_RECIPIENTS_REJECTED).
 */
const withRefusals = (tx: T.Transaction, error: SmtpError): SmtpError =>
  tx.rejected.length === 0 || error.rejectedRecipients !== undefined
    ? error
    : withRejectedRecipients(error, tx.rejected);

/** Once the whole body is on the wire, a loss leaves the outcome open (threats.md §7). */
const outcomeOf = (context: SessionContext, outcome: Outcome): Outcome =>
  outcome === 'not-sent' && context.tx?.bodyWritten === true ? 'unknown' : outcome;

/** While authenticating, a reply may echo the credentials (`535 … for AKIA…`): scrub them before it reaches an error. */
function echoSafe(context: SessionContext, reply: Reply, phase: Phase): Reply {
  const credentials = context.config.credentials;
  if (phase !== 'auth' || !credentials) return reply;
  return scrubReply(reply, credentialForms(credentials.reveal(), context.auth?.sent));
}

/**
 * The same for a malformed reply's error, which quotes the line it could not parse — escaped and
 * cut at 100 octets, so no scrubbing of the quote can be sure to catch an echo: while
 * authenticating, the line is not quoted at all (and the original error, quote and all, is dropped).
 */
function echoSafeError(context: SessionContext, error: SmtpError, phase: Phase): SmtpError {
  const credentials = context.config.credentials;
  if (!credentials) return error;
  // After AUTH the server knows the password: only a quote that may hold part of it is dropped.
  const echoes =
    phase === 'auth'
      ? 'the credentials'
      : AFTER_AUTH.has(phase) && mayQuoteSecret(error.message, passwordForms(credentials.reveal()))
        ? 'the password'
        : undefined;
  if (echoes === undefined) return error;
  const what = error.code === ErrorCodes.REPLY_TOO_LONG ? 'a reply too long' : 'a malformed reply';
  return new SmtpProtocolError({
    code: error.code,
    message: `${phase}: ${what} (not quoted: it may echo ${echoes})`,
  });
}

type Where = { phase: Phase; outcome: Outcome };

/** Ends the session with `make`'s error for the reply in hand: echo-safe, its outcome as the body stands. */
function failWithReply(
  make: (reply: Reply, phase: Phase, outcome: Outcome) => SmtpError,
  context: SessionContext,
  event: SessionEvent,
  params: Where,
  assignTo: (update: Partial<SessionContext>) => void,
): void {
  const reply = replyOf(event);
  if (reply)
    assignTo(
      fail(make(echoSafe(context, reply, params.phase), params.phase, outcomeOf(context, params.outcome))),
    );
}

function newTransaction(context: SessionContext, event: SessionEvent): T.Transaction | undefined {
  return event.type === 'send.requested'
    ? T.createTransaction(event.id, event.request, context.caps, context.config)
    : undefined;
}

export const sessionSetup = setup({
  types: {} as {
    context: SessionContext;
    events: SessionEvent;
    emitted: MachineEffect;
    input: SessionConfig;
  },
  guards,
  actions: {
    // Timers (RFC 5321 §4.5.3.2): a state that waits for the server arms its own on entry (re-entry
    // restarts it) and handles `timer.expired`; `ready` disarms. The facade runs the one clock.
    arm: emit(({ context }, params: { timer: TimerName }) => ({
      type: 'armTimer' as const,
      timer: params.timer,
      ms: context.config.timeouts[params.timer],
    })),
    disarm: emit({ type: 'disarmTimer' }),

    // Writes (one emitted effect = one socket write; the transport joins a flight's writes).
    writeEhlo: emit(({ context }) => write({ verb: 'EHLO', domain: context.config.clientName })),
    writeHelo: emit(({ context }) => write({ verb: 'HELO', domain: context.config.clientName })),
    writeStartTls: emit(() => write({ verb: 'STARTTLS' })),
    writeRcpt: emit(({ context }) => write(T.rcptCommand(txOf(context), txOf(context).replied))),
    writeData: emit(() => write({ verb: 'DATA' })),
    writeRset: emit(() => write({ verb: 'RSET' })),
    writeQuit: emit(() => write({ verb: 'QUIT' })),
    /** RFC 5321 §4.1.1.10: no close without QUIT, "even if there was an error response". */
    quitAfterRefusal: enqueueActions(({ enqueue }) => {
      enqueue.emit(write({ verb: 'QUIT' }));
      enqueue.assign({ quitWritten: true });
    }),
    upgradeTls: emit({ type: 'upgradeTls' }),
    writeBody: emit(({ context }) => writeBodyEffect(context, txOf(context), false)),
    writeLoneDot: emit({ type: 'writeLoneDot' }),

    // Capabilities (RFC 3207 §4.2: everything learnt before TLS is forgotten).
    learnCapabilities: enqueueActions(({ enqueue, event }) => {
      const reply = replyOf(event);
      if (reply) enqueue.assign({ caps: parseEhloReply(reply) });
    }),
    forgetCapabilities: assign({ caps: NO_CAPABILITIES }),
    tlsUp: assign({ tls: true, caps: NO_CAPABILITIES }),

    // AUTH (RFC 4954 §4): every line goes out as a Secret.
    beginAuth: enqueueActions(({ enqueue, context }) => {
      const credentials = credentialsOf(context)!;
      const mechanism = chooseMechanism(context.caps.auth, credentials, context.config.hmacMd5)!;
      const { command, exchange } = startAuth(mechanism, credentials);
      enqueue.assign({ auth: exchange });
      enqueue.emit({ type: 'writeSecret', command: new Secret(command) });
    }),
    answerChallenge: enqueueActions(({ enqueue, context, event }) => {
      const exchange = context.auth!;
      let data = CANCEL;
      try {
        data = answerChallenge(
          exchange,
          replyOf(event)?.lines[0] ?? '',
          credentialsOf(context)!,
          context.config.hmacMd5,
        );
      } catch {
        // An injected HMAC that throws must not throw out of an action; cancel the exchange instead.
      }
      const sent =
        exchange.mechanism === 'CRAM-MD5' && data !== CANCEL ? [...exchange.sent, data] : exchange.sent;
      enqueue.assign({ auth: { ...exchange, challenges: exchange.challenges + 1, sent } });
      enqueue.emit({ type: 'writeSecret', command: new Secret<Command>({ verb: 'AUTH_RESPONSE', data }) });
    }),
    authDone: assign({ auth: undefined }),

    // Transactions. A send is pre-checked before anything of it is written (refuseSend).
    refuseSend: enqueueActions(({ enqueue, context, event }) => {
      if (event.type !== 'send.requested') return;
      const error = T.precheck(event.request, context.caps, context.config);
      if (error) enqueue.emit(settle(event.id, error));
    }),
    beginTransaction: assign({ tx: ({ context, event }) => newTransaction(context, event) ?? context.tx }),
    /** A send while a pipelined transaction is in flight; `behindDot`: the dot is out, write its envelope now. */
    holdNext: enqueueActions(({ enqueue, context, event }, params: { behindDot: boolean }) => {
      const next = newTransaction(context, event);
      if (next === undefined) return;
      const behind = params.behindDot && next.transfer === 'data';
      if (behind) enqueue.emit(write(...T.envelopeCommands(next, context.caps)));
      enqueue.assign({ next: behind ? { ...next, written: true } : next });
    }),
    /** The body in this flight, and right behind its dot the held next envelope (RFC 2920 §3.1). */
    writeBodyInline: enqueueActions(({ enqueue, context }) => {
      const tx = txOf(context);
      enqueue.emit(writeBodyEffect(context, tx, true));
      const next = context.next;
      const behind = next !== undefined && next.transfer === 'data';
      if (behind) enqueue.emit(write(...T.envelopeCommands(next, context.caps)));
      enqueue.assign({ tx: { ...tx, bodyWritten: true }, next: behind ? { ...next, written: true } : next });
    }),
    /** MAIL (+ RCPTs + DATA, or + `BDAT n LAST` and its bytes) of the current transaction. */
    writeEnvelope: enqueueActions(({ enqueue, context }) => {
      const tx = txOf(context);
      enqueue.emit(write(...T.envelopeCommands(tx, context.caps)));
      const rides = T.bodyRidesWithEnvelope(tx);
      const inline = rides && T.bodyInline(tx);
      enqueue.assign({ tx: { ...tx, written: true, chunks: rides ? 1 : 0, bodyWritten: inline } });
      if (rides) enqueue.emit(writeBodyEffect(context, tx, inline));
    }),
    /** RFC 2920 §3.1: the next envelope right behind the dot, in the same flight. */
    writeNextEnvelope: enqueueActions(({ enqueue, context }) => {
      const next = context.next;
      if (next === undefined || next.transfer !== 'data') return;
      enqueue.emit(write(...T.envelopeCommands(next, context.caps)));
      enqueue.assign({ next: { ...next, written: true } });
    }),
    abortNext: enqueueActions(({ enqueue, context }) => {
      const next = context.next;
      if (next === undefined) return;
      // Written behind the dot: it leaves when its turn comes (the session closes then, see promotion).
      if (next.written)
        enqueue.assign({ next: { ...next, failure: next.failure ?? aborted('mail', 'not-sent') } });
      else {
        // Never written: it leaves as a send still queued does (phase ready), the connection untouched.
        enqueue.emit(settle(next.id, aborted('ready', 'not-sent')));
        enqueue.assign({ next: undefined });
      }
    }),
    recordMail: assign({
      tx: ({ context, event }) => T.recordMail(txOf(context), replyOf(event)!, context.config.profile),
    }),
    recordRecipient: assign({ tx: ({ context, event }) => afterRcpt(context, event) }),
    /** The last RCPT reply: records it and closes the envelope (no accepted recipient fails it). */
    recordLastRecipient: assign({ tx: ({ context, event }) => T.finishEnvelope(afterRcpt(context, event)) }),
    /** Lock-step BDAT, or a stream's chunks once the envelope is accepted (RFC 3030 §2). */
    startChunking: enqueueActions(({ enqueue, context }) => {
      const tx = txOf(context);
      const known = tx.request.unstuffedSize !== undefined;
      if (known) enqueue.emit(write(T.lastChunkCommand(tx)));
      enqueue.assign({ tx: { ...tx, chunks: known ? 1 : 0 } });
      enqueue.emit(writeBodyEffect(context, tx, false));
    }),
    writeChunk: enqueueActions(({ enqueue, context, event }) => {
      if (event.type !== 'body.chunk') return;
      const tx = txOf(context);
      enqueue.emit(write({ verb: 'BDAT', size: event.size, last: event.last }));
      enqueue.assign({ tx: { ...tx, chunks: tx.chunks + 1 } });
    }),
    bodyWritten: assign({ tx: ({ context }) => ({ ...txOf(context), bodyWritten: true }) }),
    recordChunk: enqueueActions(({ enqueue, context, event }, params: { phase: Phase }) => {
      const reply = replyOf(event)!;
      const failure = T.isPositive(reply) ? undefined : refusal(reply, params.phase, context.config.profile);
      enqueue.assign({ tx: T.recordChunkReply(txOf(context), failure) });
    }),
    refuseTransaction: enqueueActions(({ enqueue, context, event }, params: { phase: Phase }) => {
      const tx = txOf(context);
      const failure = tx.failure ?? refusal(replyOf(event)!, params.phase, context.config.profile);
      enqueue.assign({ tx: { ...tx, failure } });
    }),
    /** The refused transaction settles; the held next (if any) becomes the one whose replies come next. */
    settleRefusal: enqueueActions(({ enqueue, context }) => {
      const tx = context.tx;
      if (tx?.failure) enqueue.emit(settle(tx.id, withRefusals(tx, tx.failure)));
      enqueue.assign({ tx: context.next, next: undefined });
    }),
    /** The final reply accepted the message: it settles; the held next (if any) becomes current. */
    delivered: enqueueActions(({ enqueue, context, event }) => {
      const tx = txOf(context);
      const result = T.sendResult(tx, replyOf(event)!);
      enqueue.emit({ type: 'settle', id: tx.id, settlement: { ok: true, result } });
      enqueue.assign({ tx: context.next, next: undefined, messagesSent: context.messagesSent + 1 });
    }),

    /**
     * The same for a plan of a known number of effects (the steady message's: settle, body, next
     * envelope): each effect its own emit and one assign, without enqueueActions' per-step closures.
     */
    emitGroupEffect: emit(({ context, event }, params: { from: GroupState; index: number }) => {
      const effect =
        event.type === 'replies.received'
          ? groupPlanFor(event, params.from, context)?.effects[params.index]
          : undefined;
      // Unreachable: the guard that chose this transition found the plan and counted its effects.
      if (effect === undefined) throw new Error(`group step from ${params.from}: no effect ${params.index}`);
      return effect;
    }),
    assignGroup: assign(({ context, event }, params: { from: GroupState }) => {
      const plan = event.type === 'replies.received' ? groupPlanFor(event, params.from, context) : undefined;
      if (plan === undefined) return {};
      return { tx: plan.tx, next: plan.next, messagesSent: plan.messagesSent };
    }),
    /** A read's positive replies at once (reply-group.ts): their settlements and writes, in order. */
    takeGroup: enqueueActions(({ enqueue, context, event }, params: { from: GroupState }) => {
      if (event.type !== 'replies.received') return;
      const plan = groupPlanFor(event, params.from, context);
      if (plan === undefined) return;
      for (const effect of plan.effects) enqueue.emit(effect);
      enqueue.assign({ tx: plan.tx, next: plan.next, messagesSent: plan.messagesSent });
    }),

    // Ends. Each assigns the error; the final states' entry closes, settles and reports.
    refused: enqueueActions(({ enqueue, context, event }, params: { phase: Phase }) =>
      enqueue.assign(
        fail(refusal(echoSafe(context, replyOf(event)!, params.phase), params.phase, context.config.profile)),
      ),
    ),
    /**
     * The replies owed behind a 421 to the envelope with the LAST chunk out (RFC 2920 §3.1: one per
     * command, in order): the RCPTs after the refused command, then the chunk's.
     */
    owedBehindClosing: enqueueActions(({ enqueue, context }, params: { phase: Phase }) => {
      const tx = txOf(context);
      const rcpts = tx.request.to.length - (params.phase === 'mail' ? 0 : tx.replied + 1);
      enqueue.assign({ tx: { ...tx, repliesOwed: rcpts + 1 } });
    }),
    owedOneLess: assign({
      tx: ({ context }) => {
        const tx = txOf(context);
        return { ...tx, repliesOwed: (tx.repliesOwed ?? 1) - 1 };
      },
    }),
    /**
     * A 2xx to a riding LAST chunk after the envelope was refused, or after a 421 to it: 'unknown',
     * in place of that refusal.
     */
    acceptedAfterRefusal: enqueueActions(({ enqueue, context, event }) => {
      const tx = txOf(context);
      const reply = replyOf(event)!;
      const refusal = tx.failure ?? context.error;
      const error = new SmtpProtocolError({
        code: ErrorCodes.REPLY_UNEXPECTED,
        message:
          `data-end: the server accepted the message (${describeReply(reply, 'data-end')}) after refusing ` +
          `its envelope (${refusal?.message}); it may have been delivered`,
        outcome: 'unknown',
        phase: 'data-end',
        reply,
        ...(refusal === undefined ? {} : { cause: refusal }),
      });
      enqueue.assign({ tx: { ...tx, failure: error }, error });
    }),
    unexpected: enqueueActions(({ enqueue, context, event }, params: Where) =>
      failWithReply(unexpectedReply, context, event, params, enqueue.assign),
    ),
    unasked: enqueueActions(({ enqueue, context, event }, params: Where) =>
      failWithReply(unaskedReply, context, event, params, enqueue.assign),
    ),
    malformed: enqueueActions(({ enqueue, context, event }, params: Where) => {
      if (event.type === 'reply.malformed')
        enqueue.assign(
          fail(
            withOutcome(
              echoSafeError(context, event.error, params.phase),
              params.phase,
              outcomeOf(context, params.outcome),
            ),
          ),
        );
    }),
    timedOut: enqueueActions(({ enqueue, context }, params: Where) =>
      enqueue.assign(
        fail(
          timedOut(params.phase, outcomeOf(context, params.outcome), context.config.security !== 'implicit'),
        ),
      ),
    ),
    // closed() before connected(): the transport's dial failed (failures.ts dialFailed).
    dialFailed: enqueueActions(({ enqueue, event }) =>
      enqueue.assign(fail(dialFailed(event.type === 'connection.closed' ? event.error : undefined))),
    ),
    lost: enqueueActions(({ enqueue, context, event }, params: Where) =>
      enqueue.assign(
        fail(
          connectionLost(
            params.phase,
            outcomeOf(context, params.outcome),
            event.type === 'connection.closed' ? event.error : undefined,
            event.type === 'connection.closed' ? event.partial : undefined,
          ),
        ),
      ),
    ),
    tlsFailed: enqueueActions(({ enqueue, event }) =>
      enqueue.assign(
        fail(
          // The transport's error already says what failed (untrusted CA, host name, expiry; or the
          // connection lost mid-handshake, which is worth another try): keep it.
          event.type === 'tls.failed' && event.error instanceof SmtpError
            ? event.error
            : new SmtpConnectionError({
                code: ErrorCodes.TLS_FAILED,
                message: 'tls: the TLS handshake failed',
                phase: 'tls',
                // As spec/error-codes.md says of TLS_FAILED; a transport that knows better (a reset
                // mid-handshake) reports its own SmtpError, kept above.
                retryable: false,
                ...(event.type === 'tls.failed' && event.error !== undefined ? { cause: event.error } : {}),
              }),
        ),
      ),
    ),
    localFailure: enqueueActions(({ enqueue, event }) => {
      if (event.type === 'body.failed') enqueue.assign(fail(event.error));
    }),
    /** Nothing of the refused command went out; a send whose body did may have been delivered. */
    commandRefused: enqueueActions(({ enqueue, context, event }, params: Where) => {
      if (event.type === 'command.refused')
        enqueue.assign(fail(withOutcome(event.error, params.phase, outcomeOf(context, params.outcome))));
    }),
    sessionRefused: enqueueActions(({ enqueue }, params: { phase: Phase; code: SmtpError['code'] }) => {
      const message = `${params.phase}: ${describe(params.code)}`;
      // Refusing to authenticate in plaintext is our configuration's rule, not the peer's fault.
      const error =
        params.code === ErrorCodes.AUTH_WITHOUT_TLS
          ? new SmtpUsageError({ code: params.code, message, phase: params.phase, field: 'security' })
          : protocolError(params.code, message, params.phase);
      enqueue.assign(fail(error));
    }),
    abandon: enqueueActions(({ enqueue, context }, params: Where) => {
      const tx = context.tx;
      if (tx && !tx.failure)
        enqueue.assign({
          tx: { ...tx, failure: clientClosed(params.phase, outcomeOf(context, params.outcome)) },
        });
    }),
    abort: enqueueActions(({ enqueue, context }, params: Where) => {
      const tx = context.tx;
      if (tx && !tx.failure)
        enqueue.assign({ tx: { ...tx, failure: aborted(params.phase, outcomeOf(context, params.outcome)) } });
    }),
    endSession: enqueueActions(({ enqueue, context }) => {
      enqueue.emit(context.quitWritten ? { type: 'close', afterQuit: true } : { type: 'close' });
      const { tx, next } = context;
      const error = context.error ?? clientClosed('closed', 'not-sent');
      if (tx) enqueue.emit(settle(tx.id, withRefusals(tx, tx.failure ?? error)));
      // Ended by an abort of the send before it (no error of the session's own): not this caller's close.
      const abort =
        context.error === undefined && tx?.failure?.code === ErrorCodes.ABORTED ? tx.failure : undefined;
      if (next)
        enqueue.emit(
          settle(next.id, next.failure ?? (abort ? notSentBehindAbort(abort) : notSentBehind(error))),
        );
      enqueue.assign({ tx: undefined, next: undefined });
      enqueue.emit({ type: 'sessionEnded', error: context.error });
    }),
  },
});

const DESCRIPTIONS: Partial<Record<SmtpError['code'], string>> = {
  [ErrorCodes.STARTTLS_INJECTION]:
    'bytes followed the 220 to STARTTLS before the TLS handshake (response injection)',
  [ErrorCodes.TLS_REQUIRED]: 'TLS is required and the server does not offer STARTTLS',
  [ErrorCodes.AUTH_WITHOUT_TLS]: 'refusing to authenticate without TLS',
  [ErrorCodes.AUTH_MECHANISM_UNSUPPORTED]: 'the server offers no usable AUTH mechanism',
  [ErrorCodes.AUTH_CHALLENGE_LIMIT]: `more than ${MAX_AUTH_CHALLENGES} AUTH challenges`,
};
function describe(code: SmtpError['code']): string {
  return DESCRIPTIONS[code] ?? code;
}
