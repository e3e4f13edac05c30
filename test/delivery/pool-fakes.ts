/**
 * Fake clients for pool tests: a FakeServer decides each transaction's outcome from a script and
 * counts clients alive (created and not yet closed), transactions per client, and overlap.
 * Outcomes are built the way the real client builds them (classifyReply with the SES profile).
 */

import { createPool } from '../../src/delivery/pool.js';
import type { PoolEvent } from '../../src/delivery/pool-events.js';
import type {
  ClientLike,
  ClientSendRequest,
  ClientSendResult,
  PoolSettings,
} from '../../src/delivery/pool-options.js';
import type { PoolSendResult } from '../../src/delivery/send-job.js';
import { classifyReply, SES_PROFILE } from '../../src/errors/classify.js';
import { ErrorCodes } from '../../src/errors/codes.js';
import {
  type Outcome,
  type Phase,
  SmtpConnectionError,
  SmtpError,
  SmtpReplyError,
} from '../../src/errors/smtp-error.js';
import type { Reply } from '../../src/protocol/reply-types.js';
import { ManualClock } from '../support/manual-clock.js';

export type Behaviour =
  | { readonly kind: 'ok'; readonly rejected?: readonly { recipient: string; code: number; text: string }[] }
  | { readonly kind: 'error'; readonly error: SmtpError }
  /** Never settles until the signal aborts (then fails with ABORTED, outcome `outcome`). */
  | { readonly kind: 'hang'; readonly outcome?: Outcome }
  /** Never settles, whatever happens to the signal (a client that ignores its abort). */
  | { readonly kind: 'stuck' };

export interface Call {
  readonly index: number;
  readonly clientId: number;
  /** Transactions this client ran before this one. */
  readonly clientCall: number;
  readonly request: ClientSendRequest;
  /** Clients alive when this transaction started. */
  readonly alive: number;
}

export type Script = (call: Call) => Behaviour | Promise<Behaviour>;

export function reply(code: number, text: string): Reply {
  return { code, lines: [text] };
}

/** The error the real client raises for `code text` answered in `phase`. */
export function replyError(code: number, text: string, phase: Phase = 'data-end'): SmtpError {
  const r = reply(code, text);
  const d = classifyReply(r, phase, SES_PROFILE);
  return new SmtpReplyError({
    code: d.code,
    outcome: d.outcome,
    retryable: d.retryable,
    phase,
    reply: r,
    message: `${phase} refused: ${code} ${text}`,
  });
}

export function closedError(outcome: Outcome, phase: Phase): SmtpError {
  return new SmtpConnectionError({
    code: ErrorCodes.CONNECTION_CLOSED,
    outcome,
    phase,
    retryable: true, // as the session reports a lost connection, whatever the outcome
    message: 'connection closed',
  });
}

export const ok: Behaviour = { kind: 'ok' };
export const fail = (error: SmtpError): Behaviour => ({ kind: 'error', error });

export class FakeClient implements ClientLike {
  readonly id: number;
  readonly #server: FakeServer;
  transactions = 0;
  /** Transactions running now: more than one only while it reports `pipelining` (at most three). */
  running = 0;
  /** Most transactions this client ran at once. */
  peakRunning = 0;
  closeCalls = 0;
  destroyed = false;
  gone = false;
  /**
   * Modelled on createClient: undefined = not reported (the pool cannot tell); false after a
   * transaction = its connection dropped while idle. Like createClient, a send then reconnects by
   * itself inside this client, counted in `hiddenReconnects`.
   */
  connected: boolean | undefined = undefined;
  hiddenReconnects = 0;

  constructor(id: number, server: FakeServer) {
    this.id = id;
    this.#server = server;
  }

  async send(request: ClientSendRequest): Promise<ClientSendResult> {
    if (this.running > 0 && !this.pipelining)
      this.#server.violations.push(`client ${this.id}: two transactions at once`);
    if (this.running >= 3) this.#server.violations.push(`client ${this.id}: more than three sends at once`);
    if (this.closeCalls > 0 || this.destroyed)
      this.#server.violations.push(`client ${this.id}: send after close`);
    this.running++;
    this.peakRunning = Math.max(this.peakRunning, this.running);
    if (this.connected === false) {
      this.hiddenReconnects++;
      this.connected = true;
    }
    const call: Call = {
      index: this.#server.calls.length,
      clientId: this.id,
      clientCall: this.transactions++,
      request,
      alive: this.#server.alive,
    };
    this.#server.calls.push(call);
    try {
      const behaviour = await this.#server.script(call);
      return await this.#perform(behaviour, request);
    } finally {
      this.running--;
    }
  }

  /**
   * As createClient reports it: with a server offering PIPELINING (FakeServer.pipelining), true once
   * its connection is up (a transaction has started) and while it lasts.
   */
  get pipelining(): boolean {
    const open = this.transactions > 0 && this.connected !== false;
    return this.#server.pipelining && open && this.closeCalls === 0 && !this.destroyed;
  }

  async close(): Promise<void> {
    // createClient's close() fails the sends queued in it: the pool closes a client only once idle.
    if (this.running > 0) this.#server.violations.push(`client ${this.id}: close() with a send running`);
    this.closeCalls++;
    if (this.closeCalls > 1) return;
    await this.#server.closeDelay();
    this.#end();
  }

  destroy(): void {
    this.destroyed = true;
    this.#end();
  }

  #end(): void {
    if (this.gone) return;
    this.gone = true;
    this.#server.alive--;
  }

  async #perform(behaviour: Behaviour, request: ClientSendRequest): Promise<ClientSendResult> {
    if (behaviour.kind === 'error') throw behaviour.error;
    if (behaviour.kind === 'hang') return this.#hang(request.signal, behaviour.outcome ?? 'not-sent');
    if (behaviour.kind === 'stuck') return new Promise<never>(() => undefined);
    // Streams are read as the real client reads them, once, during DATA.
    const message = request.message as unknown;
    if (typeof message === 'object' && message !== null && Symbol.asyncIterator in message) {
      for await (const _chunk of message as AsyncIterable<unknown>) {
        // drain
      }
    }
    const refusals = behaviour.rejected ?? [];
    const refused = new Set(refusals.map((r) => r.recipient));
    const accepted = request.to.filter((to) => !refused.has(to));
    const rejected = refusals
      .filter((r) => request.to.includes(r.recipient))
      .map((r) => ({ recipient: r.recipient, reply: reply(r.code, r.text) }));
    if (accepted.length === 0) {
      // As the session reports it: every refusal, the last reply, permanent only if all were 5xx.
      const permanent = rejected.every((r) => r.reply.code >= 500);
      throw new SmtpReplyError({
        code: ErrorCodes.ALL_RECIPIENTS_REJECTED,
        outcome: permanent ? 'rejected' : 'not-sent',
        retryable: !permanent,
        phase: 'rcpt',
        reply: rejected.at(-1)?.reply ?? reply(554, 'no valid recipients'),
        rejectedRecipients: rejected,
        message: 'all recipients refused',
      });
    }
    const id = `id-${this.#server.calls.length}`;
    return { messageId: id, accepted, rejected, reply: reply(250, `Ok ${id}`) };
  }

  #hang(signal: AbortSignal | undefined, outcome: Outcome): Promise<never> {
    return new Promise((_resolve, reject) => {
      const abort = (): void =>
        reject(
          new SmtpConnectionError({
            code: ErrorCodes.ABORTED,
            outcome,
            phase: outcome === 'unknown' ? 'data-end' : 'mail',
            message: 'aborted',
          }),
        );
      if (signal?.aborted) abort();
      signal?.addEventListener('abort', abort, { once: true });
    });
  }
}

export class FakeServer {
  readonly clients: FakeClient[] = [];
  readonly calls: Call[] = [];
  readonly violations: string[] = [];
  alive = 0;
  peakAlive = 0;
  /** Its clients report `pipelining` once connected, and may then run up to three sends at once. */
  pipelining = false;
  script: Script;
  closeDelay: () => Promise<void> = async () => undefined;

  constructor(script: Script = () => ok) {
    this.script = script;
  }

  readonly factory = (): FakeClient => {
    const client = new FakeClient(this.clients.length + 1, this);
    this.clients.push(client);
    this.alive++;
    this.peakAlive = Math.max(this.peakAlive, this.alive);
    return client;
  };

  /** The `from` of each transaction, in start order. */
  get froms(): string[] {
    return this.calls.map((call) => call.request.from);
  }
}

export const SES_HOST = 'email-smtp.eu-west-1.amazonaws.com';

export function setup(
  script: Script = () => ok,
  settings: PoolSettings<{ host: string }> & { host?: string } = {},
) {
  const clock = new ManualClock(0);
  const server = new FakeServer(script);
  const events: PoolEvent[] = [];
  const pool = createPool({
    host: 'mail.example.test',
    clock,
    random: () => 0.5,
    createClient: server.factory,
    onEvent: (event) => events.push(event),
    ...settings,
  });
  return { clock, server, events, pool };
}

/** The envelope sender of message(n): tests identify a send on the fake server by it. */
export function senderOf(n: number): string {
  return `s${n}@example.test`;
}

export function message(n: number, to: readonly string[] = [`r${n}@example.test`]) {
  return { from: senderOf(n), to, message: `Subject: ${n}\r\n\r\nbody ${n}\r\n` };
}

type Settled = { ok: true; value: PoolSendResult } | { ok: false; error: SmtpError };

/** Records how a send settled (and how often: must be once). */
export function track(promise: Promise<PoolSendResult>) {
  const record: { settled: Settled[] } = { settled: [] };
  promise.then(
    (value) => record.settled.push({ ok: true, value }),
    (error: unknown) => {
      if (!(error instanceof SmtpError)) throw error;
      record.settled.push({ ok: false, error });
    },
  );
  return record;
}

export async function errorOf(promise: Promise<unknown>): Promise<SmtpError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof SmtpError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

export function ofType<T extends PoolEvent['type']>(events: PoolEvent[], type: T) {
  return events.filter((e): e is Extract<PoolEvent, { type: T }> => e.type === type);
}

/** Scripted per call index; calls beyond the list succeed. */
export function sequence(...behaviours: Behaviour[]): Script {
  return (call) => behaviours[call.index] ?? ok;
}
