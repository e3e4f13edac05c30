/**
 * Delivery for the CLI: N connections (createClient each) take messages from one queue, a shared
 * rate limiter paces them (AIMD on SES 454 throttling), and the delivery layer's retry policy decides
 * every retry (RFC 5321 §4.5.4.1; 421 session cap → reconnect at once; 5yz never).
 */

import { RateLimiter } from '../delivery/rate-limiter.js';
import { decideRetry, type RetryOption } from '../delivery/retry-policy.js';
import { type Action, classifyReply, type ProviderProfile } from '../errors/classify.js';
import { ErrorCodes } from '../errors/codes.js';
import { isSmtpError, SmtpError } from '../errors/smtp-error.js';
import { replyText } from '../protocol/reply-parser.js';
import type { Reply } from '../protocol/reply-types.js';
import type { SendResult } from '../session/types.js';
import { createClient, type SmtpClient } from '../transport/client.js';
import type { ClientOptions } from '../transport/client-options.js';
import { type ExitCode, ExitCodes, exitCodeForError } from './exit-codes.js';

export interface Outgoing {
  readonly id: number;
  readonly from: string;
  readonly to: readonly string[];
  readonly raw: Uint8Array;
}

export type DeliveryStatus = 'delivered' | 'rejected' | 'failed' | 'unknown';

export interface DeliveryResult {
  readonly id: number;
  readonly status: DeliveryStatus;
  readonly exitCode: ExitCode;
  readonly attempts: number;
  readonly ms: number;
  readonly messageId?: string;
  readonly reply?: { readonly code: number; readonly text: string };
  readonly accepted?: readonly string[];
  readonly rejectedRecipients?: readonly {
    readonly recipient: string;
    readonly code: number;
    readonly text: string;
  }[];
  readonly error?: {
    readonly code: string;
    readonly message: string;
    readonly phase?: string;
    readonly rule?: string;
  };
  /** Retries this message needed, by cause (rule id or error code). */
  readonly retries: Readonly<Record<string, number>>;
}

export interface DelivererOptions {
  readonly client: ClientOptions;
  readonly profile: ProviderProfile;
  readonly retry: RetryOption;
  /** Parallel connections (default 1). */
  readonly connections?: number;
  /** Recipients per second (client-side pacing); undefined = as fast as the server takes them. */
  readonly rate?: number;
  /** Recipients/s regained per successful send after throttling (default: the limiter's rate / 50). */
  readonly rateIncreaseStep?: number;
  readonly signal?: AbortSignal;
  /** Called before each retry wait (for progress and logs). */
  readonly onRetry?: (cause: string, delayMs: number, action: Action | undefined) => void;
  /** Called when a connection is (re)opened. */
  readonly onConnect?: () => void;
}

const replyJson = (reply: Reply): { code: number; text: string } => ({
  code: reply.code,
  text: replyText(reply),
});

function statusOf(error: SmtpError): DeliveryStatus {
  if (error.outcome === 'unknown') return 'unknown';
  if (error.outcome === 'rejected') return 'rejected';
  return exitCodeForError(error) === ExitCodes.UNAVAILABLE ? 'rejected' : 'failed';
}

function aborted(signal: AbortSignal | undefined): SmtpError {
  return new SmtpError({
    code: ErrorCodes.ABORTED,
    message: 'interrupted',
    origin: 'local',
    outcome: 'not-sent',
    cause: signal?.reason,
  });
}

/** Anything that is not an SmtpError is a bug somewhere below; report it without retrying. */
function unexpected(caught: unknown): SmtpError {
  return new SmtpError({
    code: ErrorCodes.PROTOCOL_ERROR,
    message: `unexpected failure: ${caught instanceof Error ? caught.message : String(caught)}`,
    origin: 'local',
    outcome: 'not-sent',
    cause: caught,
  });
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(aborted(signal));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export class Deliverer {
  readonly #options: DelivererOptions;
  readonly #limiter: RateLimiter | undefined;
  readonly #clients: SmtpClient[] = [];

  constructor(options: DelivererOptions) {
    this.#options = options;
    this.#limiter =
      options.rate === undefined
        ? undefined
        : new RateLimiter({
            ratePerSecond: options.rate,
            ...(options.rateIncreaseStep === undefined ? {} : { increaseStep: options.rateIncreaseStep }),
          });
  }

  /** The current client-side send rate (recipients/s) after AIMD adjustments, if pacing. */
  get currentRate(): number | undefined {
    return this.#limiter?.currentRate;
  }

  /** Delivers every message, `connections` at a time; results arrive in completion order. */
  async deliverAll(messages: readonly Outgoing[], onResult: (result: DeliveryResult) => void): Promise<void> {
    let next = 0;
    const worker = async (client: SmtpClient): Promise<void> => {
      for (let message = messages[next++]; message !== undefined; message = messages[next++]) {
        onResult(await this.#deliver(client, message));
      }
    };
    const count = Math.max(1, Math.min(this.#options.connections ?? 1, messages.length));
    for (let i = 0; i < count; i++) this.#clients.push(this.#createClient());
    await Promise.all(this.#clients.map(worker));
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.#clients.map((client) => client.close()));
  }

  #createClient(): SmtpClient {
    const { client, onConnect } = this.#options;
    const logger = client.logger;
    return createClient({
      ...client,
      logger: (event) => {
        if (event.type === 'connecting') onConnect?.();
        logger?.(event);
      },
    });
  }

  async #deliver(client: SmtpClient, message: Outgoing): Promise<DeliveryResult> {
    const { signal, retry, profile } = this.#options;
    const started = performance.now();
    const retries: Record<string, number> = {};
    let attempts = 0;
    let counted = 1;
    let reconnects = 0;
    const finish = (rest: Omit<DeliveryResult, 'id' | 'attempts' | 'ms' | 'retries'>): DeliveryResult => ({
      id: message.id,
      attempts,
      ms: Math.round(performance.now() - started),
      retries,
      ...rest,
    });
    for (;;) {
      let error: SmtpError;
      try {
        await this.#limiter?.take(Math.max(1, message.to.length), signal);
        attempts += 1;
        const result = await client.send({
          from: message.from,
          to: message.to,
          message: message.raw,
          ...(signal ? { signal } : {}),
        });
        this.#limiter?.onSuccess();
        return finish(delivered(result));
      } catch (caught) {
        error = isSmtpError(caught) ? caught : signal?.aborted ? aborted(signal) : unexpected(caught);
      }
      const disposition =
        error.reply === undefined
          ? undefined
          : classifyReply(error.reply, error.phase ?? 'data-end', profile);
      const action = disposition?.action;
      if (action === 'slow-down') this.#limiter?.onThrottled();
      // Wrong credentials, TLS mode or certificate trust: no amount of waiting fixes configuration.
      const decision =
        signal?.aborted || exitCodeForError(error) === ExitCodes.CONFIG
          ? ({ retry: false } as const)
          : decideRetry(retry, {
              attempt: counted,
              elapsedMs: performance.now() - started,
              error: { outcome: error.outcome, retryable: error.retryable, code: error.code, action },
              reconnects,
            });
      if (!decision.retry) return finish(failure(error, disposition?.rule));
      if (decision.countsAsAttempt) counted += 1;
      else reconnects += 1;
      const cause = disposition?.rule ?? error.code;
      retries[cause] = (retries[cause] ?? 0) + 1;
      this.#options.onRetry?.(cause, decision.delayMs, action);
      try {
        await sleep(decision.delayMs, signal);
      } catch {
        return finish(failure(error, disposition?.rule));
      }
    }
  }
}

function delivered(result: SendResult): Omit<DeliveryResult, 'id' | 'attempts' | 'ms' | 'retries'> {
  return {
    status: 'delivered',
    exitCode: ExitCodes.OK,
    ...(result.messageId === undefined ? {} : { messageId: result.messageId }),
    reply: replyJson(result.reply),
    accepted: result.accepted,
    rejectedRecipients: result.rejected.map((r) => ({ recipient: r.recipient, ...replyJson(r.reply) })),
  };
}

function failure(
  error: SmtpError,
  rule: string | undefined,
): Omit<DeliveryResult, 'id' | 'attempts' | 'ms' | 'retries'> {
  return {
    status: statusOf(error),
    exitCode: exitCodeForError(error),
    ...(error.reply === undefined ? {} : { reply: replyJson(error.reply) }),
    error: {
      code: error.code,
      message: error.message,
      ...(error.phase === undefined ? {} : { phase: error.phase }),
      ...(rule === undefined ? {} : { rule }),
    },
  };
}
