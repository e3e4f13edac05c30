/**
 * The vocabulary of the session machine: context, events (facts), effects (emitted imperatives),
 * guards and actions. The table that uses them is session-machine.ts. RFC 5321 §4.2.1 reply classes.
 */
import { emit, enqueueActions, setup } from 'xstate';
import type { ProviderProfile } from '../errors/classify.js';
import { ErrorCodes } from '../errors/codes.js';
import {
  type Outcome,
  type Phase,
  SmtpConnectionError,
  SmtpError,
  SmtpUsageError,
} from '../errors/smtp-error.js';
import { type Capabilities, NO_CAPABILITIES, parseEhloReply } from '../protocol/capabilities.js';
import type { Command } from '../protocol/command.js';
import type { Reply } from '../protocol/reply-types.js';
import {
  connectionLost,
  protocolError,
  refusal,
  timedOut,
  unexpectedReply,
  withOutcome,
} from './failures.js';
import { credentialForms, scrubReply } from './redaction.js';
import {
  type AuthExchange,
  answerChallenge,
  CANCEL,
  type Credentials,
  chooseMechanism,
  type HmacMd5,
  startAuth,
} from './sasl.js';
import { Secret } from './secret.js';
import type { Timeouts } from './timeouts.js';
import * as T from './transaction.js';
import type { Security, SendRequest, Settlement } from './types.js';

/** RFC 4954 does not bound the exchange; threats.md §6 asks us to. No mechanism here needs more than 2. */
export const MAX_AUTH_CHALLENGES = 5;

/** Options after defaults and validation (the facade builds this). */
export interface SessionConfig {
  readonly clientName: string;
  readonly security: Security;
  readonly credentials: Secret<Credentials> | undefined;
  readonly maxMessageSize: number;
  readonly timeouts: Timeouts;
  readonly pipelining: boolean;
  readonly allowAuthWithoutTls: boolean;
  readonly profile: ProviderProfile;
  readonly hmacMd5: HmacMd5 | undefined;
}

/** While authenticating, a reply may echo the credentials (`535 … for AKIA…`): scrub them before it reaches an error. */
function echoSafe(context: SessionContext, reply: Reply, phase: Phase): Reply {
  const credentials = context.config.credentials;
  return phase === 'auth' && credentials ? scrubReply(reply, credentialForms(credentials.reveal())) : reply;
}

export interface SessionContext {
  readonly config: SessionConfig;
  readonly tls: boolean;
  /** What the last EHLO said; NO_CAPABILITIES before it, after HELO and right after TLS (RFC 3207 §4.2). */
  readonly caps: Capabilities;
  readonly auth: AuthExchange | undefined;
  readonly tx: T.Transaction | undefined;
  /** Why the session ended, when it did not end cleanly. */
  readonly error: SmtpError | undefined;
  readonly messagesSent: number;
}

/** Facts reported to the machine. `trailing`: more bytes came in the same read after this reply. */
export type SessionEvent =
  | { type: 'connection.opened' }
  | { type: 'reply.received'; reply: Reply; trailing: boolean }
  | { type: 'reply.malformed'; error: SmtpError }
  | { type: 'tls.established' }
  | { type: 'tls.failed'; error: unknown }
  | { type: 'body.progress' }
  | { type: 'body.finished' }
  | { type: 'body.failed'; error: SmtpError }
  | { type: 'connection.closed'; error: unknown }
  | { type: 'send.requested'; request: SendRequest }
  | { type: 'send.aborted' }
  | { type: 'quit.requested' }
  | { type: 'command.refused'; error: SmtpError };

/** Imperatives the machine emits; the facade turns `write`/`writeSecret` into bytes (one write per flight). */
export type MachineEffect =
  | { type: 'write'; commands: readonly Command[] }
  | { type: 'writeSecret'; command: Secret<Command> }
  | { type: 'upgradeTls' }
  | { type: 'writeBody'; body: unknown; maxSize: number; allow8bit: boolean }
  | { type: 'close' }
  | { type: 'settle'; settlement: Settlement }
  | { type: 'sessionEnded'; error: SmtpError | undefined };

export type DelayName = keyof Timeouts;

const replyOf = (event: SessionEvent): Reply | undefined =>
  event.type === 'reply.received' ? event.reply : undefined;
const classOf = (event: SessionEvent): number => Math.trunc((replyOf(event)?.code ?? 0) / 100);
const credentialsOf = (context: SessionContext): Credentials | undefined =>
  context.config.credentials?.reveal();
const txOf = (context: SessionContext): T.Transaction => context.tx as T.Transaction;
/** The transaction as it will be once the current RCPT reply is recorded (guards run before actions). */
const afterRcpt = (context: SessionContext, event: SessionEvent): T.Transaction =>
  T.recordRecipient(txOf(context), replyOf(event) ?? { code: 0, lines: [] });
const write = (...commands: Command[]) => ({ type: 'write' as const, commands });
const fail = (error: SmtpError) => ({ error });
const clientClosed = (phase: Phase, outcome: Outcome): SmtpError =>
  new SmtpConnectionError({
    code: ErrorCodes.CLIENT_CLOSED,
    message: `${phase}: the client closed the session`,
    outcome,
    phase,
    retryable: outcome === 'not-sent',
  });
const aborted = (phase: Phase, outcome: Outcome): SmtpError =>
  new SmtpConnectionError({
    code: ErrorCodes.ABORTED,
    message: `${phase}: the send was aborted${outcome === 'unknown' ? ' after the final dot: the message may have been delivered' : ''}`,
    outcome,
    phase,
    retryable: outcome === 'not-sent',
  });

type Where = { phase: Phase; outcome: Outcome };

export const sessionSetup = setup({
  types: {} as {
    context: SessionContext;
    events: SessionEvent;
    emitted: MachineEffect;
    input: SessionConfig;
  },
  delays: {
    connect: ({ context }) => context.config.timeouts.connect,
    greeting: ({ context }) => context.config.timeouts.greeting,
    command: ({ context }) => context.config.timeouts.command,
    dataStart: ({ context }) => context.config.timeouts.dataStart,
    dataBlock: ({ context }) => context.config.timeouts.dataBlock,
    dataTermination: ({ context }) => context.config.timeouts.dataTermination,
  },
  guards: {
    replyIs: ({ event }, params: { code: number }) => replyOf(event)?.code === params.code,
    replyClass: ({ event }, params: { class: 2 | 3 | 4 | 5 }) => classOf(event) === params.class,
    refusal: ({ event }) => classOf(event) === 4 || classOf(event) === 5,
    serviceClosing: ({ event }) => replyOf(event)?.code === 421,
    trailingBytes: ({ event }) => event.type === 'reply.received' && event.trailing,
    heloAllowed: ({ context, event }) =>
      classOf(event) === 5 &&
      context.config.credentials === undefined &&
      (context.config.security === 'none' || context.config.security === 'starttls-opportunistic'),
    startTlsOffered: ({ context }) =>
      !context.tls &&
      context.caps.startTls &&
      (context.config.security === 'starttls' || context.config.security === 'starttls-opportunistic'),
    tlsRequiredButMissing: ({ context }) => !context.tls && context.config.security === 'starttls',
    noAuthConfigured: ({ context }) => context.config.credentials === undefined,
    authWithoutTls: ({ context }) => !context.tls && !context.config.allowAuthWithoutTls,
    noUsableMechanism: ({ context }) =>
      chooseMechanism(context.caps.auth, credentialsOf(context)!, context.config.hmacMd5) === undefined,
    challengeLimitReached: ({ context, event }) =>
      replyOf(event)?.code === 334 && (context.auth?.challenges ?? 0) >= MAX_AUTH_CHALLENGES,
    precheckFails: ({ context, event }) =>
      event.type === 'send.requested' &&
      T.precheck(event.request, context.caps, context.config.maxMessageSize) !== undefined,
    pipelined: ({ context }) => context.tx?.pipelined === true,
    moreRecipients: ({ context, event }) => T.hasMoreRecipients(afterRcpt(context, event)),
    moreRecipientsPipelined: ({ context, event }) =>
      context.tx?.pipelined === true && T.hasMoreRecipients(afterRcpt(context, event)),
    envelopeWillBeAccepted: ({ context, event }) =>
      T.envelopeAccepted(T.finishEnvelope(afterRcpt(context, event))),
    goAheadAfterRefusedEnvelope: ({ context, event }) =>
      replyOf(event)?.code === 354 && context.tx !== undefined && !T.envelopeAccepted(context.tx),
  },
  actions: {
    // Writes (one emitted effect = one socket write).
    writeEhlo: emit(({ context }) => write({ verb: 'EHLO', domain: context.config.clientName })),
    writeHelo: emit(({ context }) => write({ verb: 'HELO', domain: context.config.clientName })),
    writeStartTls: emit(() => write({ verb: 'STARTTLS' })),
    writeRcpt: emit(({ context }) => write(T.rcptCommand(txOf(context), txOf(context).replied))),
    writeData: emit(() => write({ verb: 'DATA' })),
    writeRset: emit(() => write({ verb: 'RSET' })),
    writeQuit: emit(() => write({ verb: 'QUIT' })),
    upgradeTls: emit({ type: 'upgradeTls' }),
    writeBody: emit(({ context }) => ({
      type: 'writeBody' as const,
      body: txOf(context).request.body,
      maxSize: T.messageLimit(context.config.maxMessageSize, context.caps),
      allow8bit: context.caps.eightBitMime,
    })),

    // Capabilities (RFC 3207 §4.2: everything learnt before TLS is forgotten).
    learnCapabilities: enqueueActions(({ enqueue, event }) => {
      const reply = replyOf(event);
      if (reply) enqueue.assign({ caps: parseEhloReply(reply) });
    }),
    forgetCapabilities: enqueueActions(({ enqueue }) => enqueue.assign({ caps: NO_CAPABILITIES })),
    tlsUp: enqueueActions(({ enqueue }) => enqueue.assign({ tls: true, caps: NO_CAPABILITIES })),

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
      enqueue.assign({ auth: { ...exchange, challenges: exchange.challenges + 1 } });
      enqueue.emit({ type: 'writeSecret', command: new Secret<Command>({ verb: 'AUTH_RESPONSE', data }) });
    }),
    authDone: enqueueActions(({ enqueue }) => enqueue.assign({ auth: undefined })),

    // Transactions.
    refuseSend: enqueueActions(({ enqueue, context, event }) => {
      if (event.type !== 'send.requested') return;
      const error = T.precheck(event.request, context.caps, context.config.maxMessageSize);
      if (error) enqueue.emit({ type: 'settle', settlement: { ok: false, error } });
    }),
    beginTransaction: enqueueActions(({ enqueue, context, event }) => {
      if (event.type !== 'send.requested') return;
      const tx = T.beginTransaction(event.request, context.caps, context.config.pipelining);
      enqueue.assign({ tx });
      enqueue.emit(write(...T.envelopeCommands(tx, context.caps)));
    }),
    recordMail: enqueueActions(({ enqueue, context, event }) =>
      enqueue.assign({ tx: T.recordMail(txOf(context), replyOf(event)!, context.config.profile) }),
    ),
    recordRecipient: enqueueActions(({ enqueue, context, event }) =>
      enqueue.assign({ tx: afterRcpt(context, event) }),
    ),
    finishEnvelope: enqueueActions(({ enqueue, context }) =>
      enqueue.assign({ tx: T.finishEnvelope(txOf(context)) }),
    ),
    refuseTransaction: enqueueActions(({ enqueue, context, event }, params: { phase: Phase }) => {
      const tx = txOf(context);
      const failure = tx.failure ?? refusal(replyOf(event)!, params.phase, context.config.profile);
      enqueue.assign({ tx: { ...tx, failure } });
    }),
    settleRefusal: enqueueActions(({ enqueue, context }) => {
      const failure = context.tx?.failure;
      if (failure) enqueue.emit({ type: 'settle', settlement: { ok: false, error: failure } });
      enqueue.assign({ tx: undefined });
    }),
    delivered: enqueueActions(({ enqueue, context, event }) => {
      const result = T.sendResult(txOf(context), replyOf(event)!);
      enqueue.emit({ type: 'settle', settlement: { ok: true, result } });
      enqueue.assign({ tx: undefined, messagesSent: context.messagesSent + 1 });
    }),

    // Ends. Each assigns the error; the final states' entry closes, settles and reports.
    refused: enqueueActions(({ enqueue, context, event }, params: { phase: Phase }) =>
      enqueue.assign(
        fail(refusal(echoSafe(context, replyOf(event)!, params.phase), params.phase, context.config.profile)),
      ),
    ),
    unexpected: enqueueActions(({ enqueue, context, event }, params: Where) => {
      const reply = replyOf(event);
      if (reply)
        enqueue.assign(
          fail(unexpectedReply(echoSafe(context, reply, params.phase), params.phase, params.outcome)),
        );
    }),
    protocolFailure: enqueueActions(({ enqueue, event }, params: { phase: Phase; code: SmtpError['code'] }) =>
      enqueue.assign(
        fail(
          protocolError(
            params.code,
            `${params.phase}: ${describe(params.code)}`,
            params.phase,
            replyOf(event),
          ),
        ),
      ),
    ),
    malformed: enqueueActions(({ enqueue, event }, params: Where) => {
      if (event.type === 'reply.malformed')
        enqueue.assign(fail(withOutcome(event.error, params.phase, params.outcome)));
    }),
    timedOut: enqueueActions(({ enqueue }, params: Where) =>
      enqueue.assign(fail(timedOut(params.phase, params.outcome))),
    ),
    lost: enqueueActions(({ enqueue, event }, params: Where) =>
      enqueue.assign(
        fail(
          connectionLost(
            params.phase,
            params.outcome,
            event.type === 'connection.closed' ? event.error : undefined,
          ),
        ),
      ),
    ),
    tlsFailed: enqueueActions(({ enqueue, event }) =>
      enqueue.assign(
        fail(
          // The transport's TLS error already says what failed (untrusted CA, host name, expiry): keep it.
          event.type === 'tls.failed' &&
            event.error instanceof SmtpError &&
            event.error.code === ErrorCodes.TLS_FAILED
            ? event.error
            : new SmtpConnectionError({
                code: ErrorCodes.TLS_FAILED,
                message: 'tls: the TLS handshake failed',
                phase: 'tls',
                retryable: true,
                ...(event.type === 'tls.failed' && event.error !== undefined ? { cause: event.error } : {}),
              }),
        ),
      ),
    ),
    localFailure: enqueueActions(({ enqueue, event }) => {
      if (event.type === 'body.failed' || event.type === 'command.refused') enqueue.assign(fail(event.error));
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
      if (context.tx && !context.tx.failure)
        enqueue.assign({ tx: { ...context.tx, failure: clientClosed(params.phase, params.outcome) } });
    }),
    abort: enqueueActions(({ enqueue, context }, params: Where) => {
      if (context.tx && !context.tx.failure)
        enqueue.assign({ tx: { ...context.tx, failure: aborted(params.phase, params.outcome) } });
    }),
    endSession: enqueueActions(({ enqueue, context }) => {
      enqueue.emit({ type: 'close' });
      if (context.tx) {
        const error = context.tx.failure ?? context.error ?? clientClosed('closed', 'not-sent');
        enqueue.emit({ type: 'settle', settlement: { ok: false, error } });
        enqueue.assign({ tx: undefined });
      }
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
  [ErrorCodes.PROTOCOL_ERROR]:
    'the server accepted DATA although the envelope was refused; closing without a body',
};
function describe(code: SmtpError['code']): string {
  return DESCRIPTIONS[code] ?? code;
}
