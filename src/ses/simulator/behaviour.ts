/**
 * The simulator's SES rules, as smtp-server handlers: AUTH against derived SES passwords, the
 * session message cap at MAIL, and every other decision at the final dot, where SES makes it
 * (size, recipient count, verified identities, daily quota, send rate).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { deriveSesSmtpPassword, deriveSesSmtpPasswordV2 } from '../password.js';
import { senderHeaderAddresses, unverifiedIdentities } from './identities.js';
import { createSesMessageId } from './message-id.js';
import type { ResolvedSesSimulatorOptions } from './options.js';
import { SendingQuotas } from './quotas.js';
import { notVerified, recipientCountExceeded, SesReplies } from './replies.js';

export interface SesSimulatorMessage {
  readonly id: string;
  readonly from: string;
  readonly to: readonly string[];
  readonly raw: Uint8Array;
  readonly receivedAt: number;
}

export interface ForcedReply {
  readonly code: number;
  readonly text: string;
}

/** What smtp-server tells the handlers about a session (the part the rules read). */
export interface SessionView {
  readonly id: string;
  readonly envelope: {
    readonly mailFrom: { readonly address: string } | false;
    readonly rcptTo: readonly { readonly address: string }[];
  };
}

export type ReplyError = Error & { responseCode: number };
type Done = (error?: ReplyError | null, message?: string) => void;

export function replyError(code: number, text: string): ReplyError {
  return Object.assign(new Error(text), { responseCode: code });
}

function isReplyError(error: unknown): error is ReplyError {
  return error instanceof Error && typeof (error as Partial<ReplyError>).responseCode === 'number';
}

export class SesBehaviour {
  readonly messages: SesSimulatorMessage[] = [];
  readonly #options: ResolvedSesSimulatorOptions;
  readonly #quotas: SendingQuotas;
  readonly #passwords = new Map<string, Set<string>>();
  readonly #sessionMessages = new Map<string, number>();
  readonly #forced: ForcedReply[] = [];

  constructor(options: ResolvedSesSimulatorOptions) {
    this.#options = options;
    this.#quotas = new SendingQuotas(options, options.clock);
    for (const { accessKeyId, secretAccessKey } of options.credentials) {
      const accepted = this.#passwords.get(accessKeyId) ?? new Set<string>();
      accepted.add(deriveSesSmtpPassword(secretAccessKey, options.region));
      if (options.acceptV2Passwords) accepted.add(deriveSesSmtpPasswordV2(secretAccessKey));
      this.#passwords.set(accessKeyId, accepted);
    }
  }

  /** Queues replies to give at the next final dots instead of deciding (e.g. `451 Temporary service failure`). */
  force(reply: ForcedReply): void {
    this.#forced.push(reply);
  }

  /** Recipients accepted within the last `windowMs` (what the quotas count). */
  sentWithin(windowMs: number): number {
    return this.#quotas.sentWithin(windowMs);
  }

  authenticate(username: string | undefined, password: string | null | undefined): boolean {
    if (username === undefined || typeof password !== 'string') return false;
    return this.#passwords.get(username)?.has(password) ?? false;
  }

  /** MAIL: SES ends a session that has sent its maximum number of messages. */
  onMailFrom(session: SessionView, done: Done): void {
    const cap = this.#options.maxMessagesPerSession;
    if (cap !== undefined && (this.#sessionMessages.get(session.id) ?? 0) >= cap) {
      done(replyError(421, SesReplies.sessionCap));
      return;
    }
    done();
  }

  sessionClosed(session: SessionView): void {
    this.#sessionMessages.delete(session.id);
  }

  /** The final dot: collects the message (up to the size limit), then decides as SES would. */
  onData(stream: NodeJS.ReadableStream, session: SessionView, done: Done): void {
    const chunks: Buffer[] = [];
    let octets = 0;
    stream.on('data', (chunk: Buffer) => {
      octets += chunk.length;
      if (octets <= this.#options.maxMessageSize) chunks.push(chunk);
    });
    stream.on('end', () => {
      const raw = octets <= this.#options.maxMessageSize ? Buffer.concat(chunks) : undefined;
      this.#decide(session, raw).then(
        (id) => done(null, `${SesReplies.ok} ${id}`),
        (error: unknown) => done(isReplyError(error) ? error : replyError(451, SesReplies.temporaryFailure)),
      );
    });
  }

  async #decide(session: SessionView, raw: Buffer | undefined): Promise<string> {
    const forced = this.#forced.shift();
    if (forced !== undefined) throw replyError(forced.code, forced.text);
    if (raw === undefined) throw replyError(552, SesReplies.messageTooLong);
    const from = session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address;
    const to = session.envelope.rcptTo.map((rcpt) => rcpt.address);
    if (to.length > this.#options.maxRecipients) {
      throw replyError(554, recipientCountExceeded(this.#options.maxRecipients));
    }
    const senders = [from, ...senderHeaderAddresses(raw.toString('latin1'))].filter((a) => a !== '');
    const failed = unverifiedIdentities(senders, to, this.#options);
    if (failed.length > 0) throw replyError(554, notVerified(this.#options.region, failed));
    const verdict = this.#quotas.check(to.length);
    if (verdict === 'daily-quota') throw replyError(454, SesReplies.dailyQuota);
    if (verdict === 'rate') throw replyError(454, SesReplies.maxSendRate);
    return this.#accept(session, from, to, raw);
  }

  async #accept(session: SessionView, from: string, to: string[], raw: Buffer): Promise<string> {
    const receivedAt = this.#options.clock();
    const id = createSesMessageId(receivedAt);
    const { mailDir } = this.#options;
    if (mailDir !== undefined) {
      await mkdir(mailDir, { recursive: true });
      await writeFile(join(mailDir, `${id}.eml`), raw);
    }
    this.#quotas.record(to.length);
    this.#sessionMessages.set(session.id, (this.#sessionMessages.get(session.id) ?? 0) + 1);
    this.messages.push({ id, from, to, raw: new Uint8Array(raw), receivedAt });
    return id;
  }
}
