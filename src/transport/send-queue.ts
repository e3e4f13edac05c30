/**
 * The client's queue of sends waiting for a connection (createClient runs one SMTP transaction at a
 * time, two with RFC 2920 pipelining): a queued send leaves at once when its signal aborts.
 */
import { ErrorCodes } from '../errors/codes.js';
import { type Phase, SmtpError } from '../errors/smtp-error.js';
import type { SendRequest, SendResult } from '../session/types.js';
import { watchAbort } from './abort-watch.js';
import { abortError } from './connect.js';

export interface Job {
  readonly request: SendRequest;
  readonly signal: AbortSignal | undefined;
  resolve(result: SendResult): void;
  reject(error: SmtpError): void;
  /** Stops watching the signal: a connection (its session) watches it from here on. */
  detach(): void;
}

export class SendQueue {
  readonly #jobs: Job[] = [];

  get length(): number {
    return this.#jobs.length;
  }

  get first(): Job | undefined {
    return this.#jobs[0];
  }

  shift(): Job | undefined {
    return this.#jobs.shift();
  }

  /**
   * Queues a send and calls `feed`, which usually hands it to a connection at once (the session then
   * watches the signal). Still queued (feed only takes from the front, and may have queued more
   * behind it: a send from a logger), it watches the signal meanwhile.
   */
  enqueue(request: SendRequest, signal: AbortSignal | undefined, feed: () => void): Promise<SendResult> {
    return new Promise<SendResult>((resolve, reject) => {
      let unwatch: (() => void) | undefined;
      const job: Job = {
        request,
        signal,
        resolve,
        reject,
        detach: () => unwatch?.(),
      };
      const onAbort = (): void => {
        const index = this.#jobs.indexOf(job);
        if (index === -1) return;
        this.#jobs.splice(index, 1);
        job.detach();
        reject(abortError(signal as AbortSignal, 'ready'));
      };
      this.#jobs.push(job);
      feed();
      // One listener per signal, however many queued sends share it (abort-watch.ts).
      if (signal && (this.#jobs.at(-1) === job || this.#jobs.includes(job)))
        unwatch = watchAbort(signal, onAbort);
    });
  }

  rejectAll(): void {
    for (const job of this.#jobs.splice(0)) {
      job.detach();
      job.reject(clientClosed());
    }
  }
}

/**
 * The client was closed (destroy(), or close() before the send's turn) with nothing of the message
 * written. `phase`: where the connection's setup stood when destroy() ended it (greeting, tls, auth…);
 * 'closed' when there was no setup under way.
 */
export function clientClosed(phase: Phase = 'closed'): SmtpError {
  return new SmtpError({
    code: ErrorCodes.CLIENT_CLOSED,
    message: 'the client was closed before this message was sent',
    origin: 'local',
    outcome: 'not-sent',
    phase,
  });
}

/** A failure that is not an SmtpError (none is expected) still reaches the caller as one. */
export function asSmtpError(error: unknown): SmtpError {
  if (error instanceof SmtpError) return error;
  return new SmtpError({
    code: ErrorCodes.CONNECTION_FAILED,
    message: 'unexpected failure (see cause)',
    origin: 'network',
    outcome: 'not-sent',
    cause: error,
  });
}
