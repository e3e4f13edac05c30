/**
 * Delivery for the CLI: every message goes through one createPool (src/delivery), which owns the
 * retries (SES schedule or the --retry-delays list, RFC 5321 §4.5.4.1; 5yz never), the send-rate
 * limiter, connection recycling and 421/454 handling. This module only turns each settled send and
 * its attempt history into a result record, and folds the pool's events into a DeliveryTally.
 */
import { setMaxListeners } from 'node:events';
import { type Attempt, attemptsOf } from '../delivery/attempt-history.js';
import { toSmtpError } from '../delivery/failure-action.js';
import { createPool } from '../delivery/pool.js';
import type { PoolEvent } from '../delivery/pool-events.js';
import type { RetryOption } from '../delivery/retry-policy.js';
import type { PoolRefusal, PoolSendResult } from '../delivery/send-job.js';
import { classifyRecipientRefusal, classifyReply, type ProviderProfile } from '../errors/classify.js';
import type { SmtpError } from '../errors/smtp-error.js';
import { replyText } from '../protocol/reply-parser.js';
import type { Reply } from '../protocol/reply-types.js';
import type { ClientOptions } from '../transport/client-options.js';
import { DeliveryTally } from './delivery-tally.js';
import { combineExitCodes, type ExitCode, ExitCodes, exitCodeForError } from './exit-codes.js';

export interface Outgoing {
  readonly id: number;
  readonly from: string;
  readonly to: readonly string[];
  readonly raw: Uint8Array;
  /** Send `raw` unchanged as BODY=BINARYMIME over BDAT (`send --eml FILE --binary`, RFC 3030 §3). */
  readonly binary?: boolean;
}

export type DeliveryStatus = 'delivered' | 'rejected' | 'failed' | 'unknown';

export interface ReplyJson {
  readonly code: number;
  readonly text: string;
}

export interface RecipientResult {
  readonly recipient: string;
  /** The server's reply, when it gave one (a recipient left over when retries stopped may have none). */
  readonly code?: number;
  readonly text?: string;
  readonly errorCode: string;
  readonly outcome: string;
}

/** One attempt of the pool's history (a free reconnect after 421 or an idle close is an attempt too). */
export interface AttemptJson {
  /** Milliseconds after the message's first attempt started. */
  readonly atMs: number;
  readonly connection: string;
  readonly delayBeforeMs: number;
  readonly recipients: readonly string[];
  readonly reply?: ReplyJson;
  readonly accepted?: readonly string[];
  readonly messageId?: string;
  readonly error?: { readonly code: string; readonly outcome: string; readonly phase?: string };
}

export interface DeliveryResult {
  readonly id: number;
  readonly status: DeliveryStatus;
  readonly exitCode: ExitCode;
  /** Transactions tried (the pool's attempt history length). */
  readonly attempts: number;
  /** From the first attempt to the outcome (queue wait before it not included). */
  readonly ms: number;
  readonly messageId?: string;
  readonly reply?: ReplyJson;
  readonly accepted?: readonly string[];
  readonly rejectedRecipients?: readonly RecipientResult[];
  readonly error?: {
    readonly code: string;
    readonly message: string;
    readonly phase?: string;
    readonly rule?: string;
  };
  /** Attempts that were followed by another, by the code of their failure ('recipients': 4xx at RCPT). */
  readonly retries: Readonly<Record<string, number>>;
  readonly history: readonly AttemptJson[];
}

export interface DelivererOptions {
  readonly client: ClientOptions;
  readonly profile: ProviderProfile;
  readonly retry: RetryOption;
  /** Parallel connections (default 1). */
  readonly connections?: number;
  /** Recipients per second (the pool's adaptive limiter); undefined = as fast as the server takes them. */
  readonly rate?: number;
  readonly signal?: AbortSignal;
  /** Every pool event, after the tally has counted it. */
  readonly onEvent?: (event: PoolEvent, tally: DeliveryTally) => void;
}

const replyJson = (reply: Reply): ReplyJson => ({ code: reply.code, text: replyText(reply) });

/** How long close() may wait for QUITs after an interrupt before dropping the connections. */
const ABORT_CLOSE_DEADLINE_MS = 2_000;

/**
 * Delivers every message through one pool and calls `onResult` as each settles (completion order).
 * Returns the tally of the pool's events once the pool has closed.
 */
export async function deliverAll(
  messages: readonly Outgoing[],
  options: DelivererOptions,
  onResult: (result: DeliveryResult) => void,
): Promise<DeliveryTally> {
  const tally = new DeliveryTally(options.rate);
  const pool = createPool({
    ...options.client,
    profile: options.profile,
    retry: options.retry,
    maxConnections: Math.max(1, options.connections ?? 1),
    // Every message of the batch is queued at once: the pool, not the queue bound, paces them.
    maxQueue: Math.max(messages.length, 1),
    ...(options.rate === undefined ? {} : { rateLimit: { perSecond: options.rate } }),
    onEvent: (event) => {
      tally.observe(event);
      options.onEvent?.(event, tally);
    },
  });
  const { signal, dispose } = fanOut(options.signal);
  try {
    await Promise.all(
      messages.map(async (message) => {
        let result: DeliveryResult;
        try {
          const sent = await pool.send({
            from: message.from,
            to: message.to,
            message: message.raw,
            ...(message.binary === true ? { binary: true } : {}),
            signal,
          });
          result = delivered(message.id, sent);
        } catch (caught) {
          // The pool rejects with SmtpError; anything else is a bug below: SMTP_INTERNAL_ERROR, no guess.
          result = failed(message.id, toSmtpError(caught), options.profile);
        }
        onResult(result);
      }),
    );
  } finally {
    dispose();
    await pool.close(signal.aborted ? { deadlineMs: ABORT_CLOSE_DEADLINE_MS } : {});
  }
  return tally;
}

/**
 * One signal per send means one 'abort' listener per queued message on it: a signal of our own
 * (no listener limit) follows the caller's, so a large batch does not trip the leak warning.
 */
function fanOut(parent: AbortSignal | undefined): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  const follow = (): void => controller.abort(parent?.reason);
  if (parent?.aborted) follow();
  else parent?.addEventListener('abort', follow, { once: true });
  return { signal: controller.signal, dispose: () => parent?.removeEventListener('abort', follow) };
}

function statusOf(error: SmtpError): DeliveryStatus {
  if (error.outcome === 'unknown') return 'unknown';
  if (error.outcome === 'rejected') return 'rejected';
  return exitCodeForError(error) === ExitCodes.UNAVAILABLE ? 'rejected' : 'failed';
}

function delivered(id: number, result: PoolSendResult): DeliveryResult {
  const refused = result.rejected.map(recipientJson);
  // Some recipients did not get it: 69 for refusals, 75 for those left over when retries stopped.
  const exitCode = combineExitCodes([
    ExitCodes.OK,
    ...result.rejected.map((r) => (r.outcome === 'rejected' ? ExitCodes.UNAVAILABLE : ExitCodes.TEMP_FAIL)),
  ]);
  return {
    id,
    status: 'delivered',
    exitCode,
    ...timing(result.attempts),
    ...(result.messageId === undefined ? {} : { messageId: result.messageId }),
    reply: replyJson(result.reply),
    accepted: result.accepted,
    rejectedRecipients: refused,
    ...history(result.attempts),
  };
}

function failed(id: number, error: SmtpError, profile: ProviderProfile): DeliveryResult {
  const attempts = attemptsOf(error) ?? [];
  // A message never tried (the pool stopped on an earlier one's quota or credentials refusal) has
  // no reply of its own: the error carries the earlier message's, which must not read as this one's.
  const reply = attempts.length === 0 ? undefined : error.reply;
  const rule =
    reply === undefined ? undefined : classifyReply(reply, error.phase ?? 'data-end', profile).rule;
  // Recipients the server refused on the way (at RCPT): known to have got nothing, whatever the message's fate.
  const refused = (error.rejectedRecipients ?? []).map(({ recipient, reply: refusal }) => {
    const decision = classifyRecipientRefusal(refusal, profile);
    return recipientJson({ recipient, reply: refusal, code: decision.code, outcome: decision.outcome });
  });
  return {
    id,
    status: statusOf(error),
    exitCode: exitCodeForError(error),
    ...timing(attempts),
    ...(reply === undefined ? {} : { reply: replyJson(reply) }),
    error: {
      code: error.code,
      message:
        attempts.length === 0 && error.reply !== undefined ? notTried(error, error.reply) : error.message,
      ...(error.phase === undefined ? {} : { phase: error.phase }),
      ...(rule === undefined ? {} : { rule }),
    },
    ...(refused.length === 0 ? {} : { rejectedRecipients: refused }),
    ...history(attempts),
  };
}

/** The CLI's words for a message the stopped pool refused without trying it (no resume() here). */
function notTried(error: SmtpError, earlier: Reply): string {
  const what = `${earlier.code} ${replyText(earlier).split('\n')[0]}`;
  return `not sent: an earlier message got "${what}" and sending stopped (${error.code}); this one was not tried`;
}

function recipientJson(refusal: PoolRefusal): RecipientResult {
  return {
    recipient: refusal.recipient,
    ...(refusal.reply === undefined ? {} : replyJson(refusal.reply)),
    errorCode: refusal.code,
    outcome: refusal.outcome,
  };
}

function timing(attempts: readonly Attempt[]): { attempts: number; ms: number } {
  const first = attempts[0];
  return {
    attempts: attempts.length,
    ms: first === undefined ? 0 : Math.max(0, Math.round(performance.now() - first.startedAt)),
  };
}

function history(attempts: readonly Attempt[]): { retries: Record<string, number>; history: AttemptJson[] } {
  const retries: Record<string, number> = {};
  attempts.slice(0, -1).forEach((attempt) => {
    const cause = attempt.error?.code ?? 'recipients';
    retries[cause] = (retries[cause] ?? 0) + 1;
  });
  const start = attempts[0]?.startedAt ?? 0;
  return { retries, history: attempts.map((attempt) => attemptJson(attempt, start)) };
}

function attemptJson(attempt: Attempt, start: number): AttemptJson {
  const { error } = attempt;
  return {
    atMs: Math.round(attempt.startedAt - start),
    connection: attempt.connectionId,
    delayBeforeMs: attempt.delayBeforeMs,
    recipients: attempt.recipients,
    ...(attempt.reply === undefined ? {} : { reply: replyJson(attempt.reply) }),
    ...(attempt.accepted === undefined ? {} : { accepted: attempt.accepted }),
    ...(attempt.messageId === undefined ? {} : { messageId: attempt.messageId }),
    ...(error === undefined
      ? {}
      : {
          error: {
            code: error.code,
            outcome: error.outcome,
            ...(error.phase === undefined ? {} : { phase: error.phase }),
          },
        }),
  };
}
