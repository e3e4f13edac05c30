/**
 * One mail transaction as data (RFC 5321 §3.3: MAIL, RCPT per recipient, DATA; RFC 2920 pipelining;
 * RFC 1870 SIZE, RFC 6152 8BITMIME, RFC 6531 SMTPUTF8): pre-checks, commands and reply bookkeeping.
 */
import type { ProviderProfile } from '../errors/classify.js';
import { ErrorCodes } from '../errors/codes.js';
import { type SmtpError, SmtpReplyError, SmtpUsageError } from '../errors/smtp-error.js';
import type { Capabilities } from '../protocol/capabilities.js';
import { type Command, isAscii } from '../protocol/command.js';
import type { Reply } from '../protocol/reply-types.js';
import { describeReply, refusal } from './failures.js';
import type { RecipientRefusal, SendRequest, SendResult } from './types.js';

export interface Transaction {
  readonly request: SendRequest;
  /** MAIL, every RCPT and DATA went out in one write (RFC 2920 §3.1); replies are matched in order. */
  readonly pipelined: boolean;
  readonly smtputf8: boolean;
  /** RCPT replies received so far. */
  readonly replied: number;
  readonly accepted: readonly string[];
  readonly rejected: readonly RecipientRefusal[];
  /** Why the transaction ends unsent; the send settles with it once the session is ready again. */
  readonly failure: SmtpError | undefined;
}

export function needsSmtpUtf8(request: SendRequest): boolean {
  return !isAscii(request.from) || request.to.some((to) => !isAscii(to));
}

/** The smaller of our limit and the server's SIZE (RFC 1870 §4: 0 means no fixed limit). */
export function messageLimit(maxMessageSize: number, caps: Capabilities): number {
  return caps.size !== undefined && caps.size > 0 ? Math.min(maxMessageSize, caps.size) : maxMessageSize;
}

/** What the server could not accept, known before any byte is written. */
export function precheck(
  request: SendRequest,
  caps: Capabilities,
  maxMessageSize: number,
): SmtpError | undefined {
  const limit = messageLimit(maxMessageSize, caps);
  if (request.size !== undefined && request.size > limit) {
    return usage(ErrorCodes.MESSAGE_TOO_LARGE, 'size', `message size exceeds the limit of ${limit} octets`);
  }
  if (request.eightBit === true && !caps.eightBitMime) {
    return usage(ErrorCodes.BODY_8BIT_NOT_SUPPORTED, 'body', 'has 8-bit data and the server lacks 8BITMIME');
  }
  if (needsSmtpUtf8(request) && !caps.smtpUtf8) {
    return usage(
      ErrorCodes.NON_ASCII_WITHOUT_SMTPUTF8,
      'to',
      'non-ASCII address and the server lacks SMTPUTF8',
    );
  }
  return undefined;
}

export function beginTransaction(
  request: SendRequest,
  caps: Capabilities,
  allowPipelining: boolean,
): Transaction {
  return {
    request,
    pipelined: allowPipelining && caps.pipelining,
    smtputf8: needsSmtpUtf8(request),
    replied: 0,
    accepted: [],
    rejected: [],
    failure: undefined,
  };
}

/** MAIL, plus every RCPT and DATA when pipelined (DATA ends the group, RFC 2920 §3.1). */
export function envelopeCommands(tx: Transaction, caps: Capabilities): Command[] {
  const mail = mailCommand(tx, caps);
  if (!tx.pipelined) return [mail];
  return [mail, ...tx.request.to.map((_, index) => rcptCommand(tx, index)), { verb: 'DATA' }];
}

function mailCommand(tx: Transaction, caps: Capabilities): Command {
  const { request } = tx;
  return {
    verb: 'MAIL',
    from: request.from,
    ...(caps.size !== undefined && request.size !== undefined ? { size: request.size } : {}),
    ...(caps.eightBitMime && request.eightBit !== false ? { body: '8BITMIME' as const } : {}),
    ...(tx.smtputf8 ? { smtputf8: true } : {}),
  };
}

export function rcptCommand(tx: Transaction, index: number): Command {
  return { verb: 'RCPT', to: tx.request.to[index] ?? '', ...(tx.smtputf8 ? { smtputf8: true } : {}) };
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

function allRecipientsRejected(rejected: readonly RecipientRefusal[]): SmtpError {
  const permanent = rejected.every(({ reply }) => reply.code >= 500);
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
  return {
    accepted: tx.accepted,
    rejected: tx.rejected,
    reply,
    ...(messageId === undefined ? {} : { messageId }),
  };
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
