/**
 * One mail transaction as data (RFC 5321 §3.3: MAIL, RCPT per recipient, DATA; RFC 2920 pipelining;
 * RFC 3030 BDAT; RFC 1870 SIZE, RFC 6152 8BITMIME, RFC 6531 SMTPUTF8): pre-checks, commands and
 * reply bookkeeping.
 */
import { deferredAtRcpt, type ProviderProfile } from '../errors/classify.js';
import { ErrorCodes } from '../errors/codes.js';
import { type SmtpError, SmtpReplyError, SmtpUsageError } from '../errors/smtp-error.js';
import type { Capabilities } from '../protocol/capabilities.js';
import { type Command, isAscii } from '../protocol/command.js';
import type { Reply } from '../protocol/reply-types.js';
import { describeReply, refusal } from './failures.js';
import type { BodyTransfer, RecipientRefusal, SendRequest, SendResult } from './types.js';
import { needsSmtpUtf8 } from './validation.js';

export interface Transaction {
  /** The facade's number for this send: settle effects and aborts name it. */
  readonly id: number;
  readonly request: SendRequest;
  /** MAIL, every RCPT and DATA went out in one write (RFC 2920 §3.1); replies are matched in order. */
  readonly pipelined: boolean;
  readonly transfer: BodyTransfer;
  readonly smtputf8: boolean;
  /** RCPT replies received so far. */
  readonly replied: number;
  readonly accepted: readonly string[];
  readonly rejected: readonly RecipientRefusal[];
  /** Why the transaction ends unsent; the send settles with it once the session is ready again. */
  readonly failure: SmtpError | undefined;
  /** Its MAIL (and the rest of its pipelined group) is on the wire; false only for a held next. */
  readonly written: boolean;
  /** The whole body (DATA's dot, or the LAST BDAT chunk) was handed to the socket: a loss is 'unknown'. */
  readonly bodyWritten: boolean;
  /** BDAT chunks written and their replies received (RFC 3030 §2: one reply per chunk). */
  readonly chunks: number;
  readonly chunkReplies: number;
  /**
   * After a 421 to the envelope behind a LAST chunk already written: the replies still owed to the
   * commands behind it, the LAST chunk's last (set only then: see `closingBehindChunk`).
   */
  readonly repliesOwed?: number;
}

/** The smaller of our limit and the server's SIZE (RFC 1870 §3 (3): 0 means no fixed limit). */
export function messageLimit(maxMessageSize: number, caps: Capabilities): number {
  return caps.size !== undefined && caps.size > 0 ? Math.min(maxMessageSize, caps.size) : maxMessageSize;
}

/**
 * RFC 1870 §5 message size: the octets after the 354 without the terminating dot and the stuffed
 * dots, which is `unstuffedSize` (also BDAT's count); a request that gives only the DATA size on the
 * wire (`size`) is held to that, which is larger.
 */
export const messageSize = (request: SendRequest): number | undefined =>
  request.unstuffedSize ?? request.size;

/**
 * A message of known size over `limit`: refused. The client asks with its own `maxMessageSize` when a
 * send is made (the server's SIZE can only lower it, so such a message can never go: no connection is
 * opened for it), and the session again with the server's limit before the transaction.
 */
export const tooLarge = (request: SendRequest, limit: number): SmtpUsageError | undefined =>
  sizeOverLimit(messageSize(request), limit);

/** A message of `size` octets (undefined: not known) over `limit`: refused (see tooLarge). */
export function sizeOverLimit(size: number | undefined, limit: number): SmtpUsageError | undefined {
  if (size === undefined || size <= limit) return undefined;
  return usage(ErrorCodes.MESSAGE_TOO_LARGE, 'size', `message size exceeds the limit of ${limit} octets`);
}

/** What the server could not accept, known before any byte is written. */
export function precheck(
  request: SendRequest,
  caps: Capabilities,
  options: { readonly maxMessageSize: number; readonly chunking: boolean },
): SmtpError | undefined {
  const large = tooLarge(request, messageLimit(options.maxMessageSize, caps));
  if (large !== undefined) return large;
  // RFC 3030 §3: BINARYMIME only over BDAT, and only when both are offered.
  if (request.binary === true && !(options.chunking && caps.chunking && caps.binaryMime)) {
    const missing = [caps.chunking ? '' : 'CHUNKING', caps.binaryMime ? '' : 'BINARYMIME'].filter(Boolean);
    return usage(
      ErrorCodes.BODY_BINARY_NOT_SUPPORTED,
      'binary',
      options.chunking
        ? `a binary body needs CHUNKING and BINARYMIME, and the server lacks ${missing.join(' and ')}`
        : 'a binary body needs BDAT, and the client was given chunking: false',
    );
  }
  // BINARYMIME declares 8-bit octets itself: 8BITMIME is not needed for a binary body.
  if (request.eightBit === true && request.binary !== true && !caps.eightBitMime) {
    return usage(ErrorCodes.BODY_8BIT_NOT_SUPPORTED, 'body', 'has 8-bit data and the server lacks 8BITMIME');
  }
  if (needsSmtpUtf8(request) && !caps.smtpUtf8) {
    // The field at fault: the sender, or the first non-ASCII recipient (as send-request.ts names them).
    const field = isAscii(request.from) ? `to[${request.to.findIndex((to) => !isAscii(to))}]` : 'from';
    return usage(
      ErrorCodes.NON_ASCII_WITHOUT_SMTPUTF8,
      field,
      'non-ASCII address and the server lacks SMTPUTF8',
    );
  }
  return undefined;
}

/** Whether a transaction started now is pipelined (RFC 2920): offered by the server and not turned off. */
export function pipelines(options: { readonly pipelining: boolean }, caps: Capabilities): boolean {
  return options.pipelining && caps.pipelining;
}

/**
 * A new transaction (not yet written). BDAT when CHUNKING is offered and allowed: for a body of known
 * size always (one `BDAT n LAST`), for a stream only with PIPELINING (its chunks are not waited for).
 */
export function createTransaction(
  id: number,
  request: SendRequest,
  caps: Capabilities,
  options: { readonly pipelining: boolean; readonly chunking: boolean },
): Transaction {
  const pipelined = pipelines(options, caps);
  const chunked = options.chunking && caps.chunking && (request.unstuffedSize !== undefined || pipelined);
  return {
    id,
    request,
    pipelined,
    transfer: chunked ? 'bdat' : 'data',
    smtputf8: needsSmtpUtf8(request),
    replied: 0,
    accepted: [],
    rejected: [],
    failure: undefined,
    written: false,
    bodyWritten: false,
    chunks: 0,
    chunkReplies: 0,
  };
}

/**
 * Bodies of known size up to this many octets are written inline: in the same flight as the command
 * before them and counted as written at once, without a `body.finished` round through the machine.
 * Larger ones go through `body` so that the data-block timeout restarts per block (RFC 5321 §4.5.3.2).
 */
export const INLINE_BODY_OCTETS = 64 * 1024;

export const bodyInline = (tx: Transaction): boolean =>
  tx.request.size !== undefined && tx.request.size <= INLINE_BODY_OCTETS;

/** A body of known size sent as one `BDAT n LAST` right behind the pipelined envelope (RFC 3030 §4.2). */
export const bodyRidesWithEnvelope = (tx: Transaction): boolean =>
  tx.pipelined && tx.transfer === 'bdat' && tx.request.unstuffedSize !== undefined;

/** The single chunk of a BDAT body of known size. */
export const lastChunkCommand = (tx: Transaction): Command => ({
  verb: 'BDAT',
  size: tx.request.unstuffedSize ?? 0,
  last: true,
});

/**
 * MAIL, plus when pipelined every RCPT and then DATA (DATA ends the group, RFC 2920 §3.1), or for
 * BDAT nothing more (a stream's chunks follow the replies) or `BDAT n LAST` (its bytes follow at once).
 */
export function envelopeCommands(tx: Transaction, caps: Capabilities): Command[] {
  const commands = [mailCommand(tx, caps)];
  if (!tx.pipelined) return commands;
  // Built in place (one array, no spread copies): every steady message writes one.
  for (let index = 0; index < tx.request.to.length; index++) commands.push(rcptCommand(tx, index));
  if (tx.transfer === 'data') commands.push({ verb: 'DATA' });
  else if (bodyRidesWithEnvelope(tx)) commands.push(lastChunkCommand(tx));
  return commands;
}

function mailCommand(tx: Transaction, caps: Capabilities): Command {
  const { request } = tx;
  const size = messageSize(request);
  const mail: Extract<Command, { verb: 'MAIL' }> = { verb: 'MAIL', from: request.from };
  if (caps.size !== undefined && size !== undefined) mail.size = size;
  if (request.binary === true) mail.body = 'BINARYMIME';
  else if (caps.eightBitMime && request.eightBit !== false) mail.body = '8BITMIME';
  if (tx.smtputf8) mail.smtputf8 = true;
  return mail;
}

export function rcptCommand(tx: Transaction, index: number): Command {
  const to = tx.request.to[index] ?? '';
  return tx.smtputf8 ? { verb: 'RCPT', to, smtputf8: true } : { verb: 'RCPT', to };
}

export const isPositive = (reply: Reply): boolean => reply.code >= 200 && reply.code < 300;

export function recordMail(tx: Transaction, reply: Reply, profile: ProviderProfile): Transaction {
  return isPositive(reply) ? tx : { ...tx, failure: refusal(reply, 'mail', profile) };
}

/** RFC 5321 §4.3.2: 250/251 accept a recipient (any 2yz, §4.2.1); anything else refuses it. */
export function recordRecipient(tx: Transaction, reply: Reply): Transaction {
  const recipient = tx.request.to[tx.replied] ?? '';
  const replied = tx.replied + 1;
  // After a refused MAIL the RCPT replies are only drained (they say "need MAIL first").
  if (tx.failure !== undefined) return { ...tx, replied };
  return isPositive(reply)
    ? { ...tx, replied, accepted: [...tx.accepted, recipient] }
    : { ...tx, replied, rejected: [...tx.rejected, { recipient, reply }] };
}

export const hasMoreRecipients = (tx: Transaction): boolean => tx.replied < tx.request.to.length;

/** After the last RCPT reply: no accepted recipient makes the transaction fail (nothing is sent). */
export function finishEnvelope(tx: Transaction): Transaction {
  if (tx.failure !== undefined || tx.accepted.length > 0) return tx;
  return { ...tx, failure: allRecipientsRejected(tx.rejected) };
}

export const envelopeAccepted = (tx: Transaction): boolean =>
  tx.failure === undefined && tx.accepted.length > 0;

/** RFC 3030 §2: the reply to the LAST chunk is the transaction's final reply. */
export const isFinalChunkReply = (tx: Transaction): boolean =>
  tx.bodyWritten && tx.chunkReplies + 1 >= tx.chunks;

/** Counts a BDAT reply; a refusal fails the transaction (its first failure is kept). */
export function recordChunkReply(tx: Transaction, failure: SmtpError | undefined): Transaction {
  return { ...tx, chunkReplies: tx.chunkReplies + 1, failure: tx.failure ?? failure };
}

/**
 * ALL_RECIPIENTS_REJECTED: every RCPT refused — permanent ('rejected') unless one was a 4xx. Also the
 * pool's, for a transaction a custom client resolved with no recipient accepted (delivery/pool.ts).
 */
export function allRecipientsRejected(rejected: readonly RecipientRefusal[]): SmtpError {
  const permanent = !rejected.some(({ reply }) => deferredAtRcpt(reply));
  const last = rejected[rejected.length - 1];
  const detail = last ? `; last: ${describeReply(last.reply, 'rcpt')}` : '';
  return new SmtpReplyError({
    code: ErrorCodes.ALL_RECIPIENTS_REJECTED,
    message: `rcpt: all ${rejected.length} recipients were refused${detail}`,
    outcome: permanent ? 'rejected' : 'not-sent',
    retryable: !permanent,
    phase: 'rcpt',
    rejectedRecipients: rejected,
    ...(last ? { reply: last.reply } : {}),
  });
}

export function sendResult(tx: Transaction, reply: Reply): SendResult {
  const messageId = parseMessageId(reply);
  const { accepted, rejected } = tx;
  return messageId === undefined ? { accepted, rejected, reply } : { accepted, rejected, reply, messageId };
}

const ENHANCED_PREFIX = /^[245]\.[0-9]{1,3}\.[0-9]{1,3} +/;
const ID_PATTERNS: readonly RegExp[] = [
  /^ok ([A-Za-z0-9][A-Za-z0-9._-]*)$/i, // Amazon SES: "250 Ok <id>"
  /\bqueued as ([A-Za-z0-9][A-Za-z0-9._-]*)/i, // Postfix: "250 2.0.0 Ok: queued as 4Bd2Xs1Ht9z"
  /\bid=([A-Za-z0-9][A-Za-z0-9._-]*)/i, // Exim: "250 OK id=1r2AbC-000xyz-7Q"
  /<([!-;=?-~]{1,256})>/, // smtp-server and others: "... <id>" (printable, no angle brackets)
];

/** The server's id for an accepted message, when the reply to the dot carries a recognisable one. */
export function parseMessageId(reply: Reply): string | undefined {
  const text = (reply.lines[0] ?? '').replace(ENHANCED_PREFIX, '');
  for (const pattern of ID_PATTERNS) {
    const id = pattern.exec(text)?.[1];
    if (id !== undefined && id.length <= 256) return id;
  }
  return undefined;
}

function usage(code: SmtpError['code'], field: string, problem: string): SmtpUsageError {
  return new SmtpUsageError({ code, field, message: `${field}: ${problem}`, phase: 'ready' });
}
