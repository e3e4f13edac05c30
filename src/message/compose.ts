/**
 * A minimal, correct message composer: RFC 5322 headers (Date, Message-ID, folded lines,
 * RFC 2047 words for non-ASCII — in display names and unstructured text, never in an address or a
 * msg-id), RFC 2045/2046 MIME (text, html, alternative, mixed with base64 attachments — 7bit for a
 * message/* one — and RFC 2231 file names). Every line it writes is at most 998 octets.
 */
import { randomFillSync } from 'node:crypto';
import { ErrorCodes } from '../errors/codes.js';
import { SmtpUsageError } from '../errors/smtp-error.js';
import { isAscii } from '../protocol/address.js';
import { MAX_TEXT_LINE_OCTETS } from '../protocol/limits.js';
import { checkComposeInput, checkedRandom, LONE_SURROGATE } from './compose-input.js';
import { encodeWords, needsEncodedWords } from './encoded-word.js';
import { formatMailbox, type Mailbox, parseMailbox } from './mailbox.js';
import { encodeQuotedPrintable } from './quoted-printable.js';

export interface Attachment {
  readonly filename: string;
  /** Bytes as they are, or a string sent as UTF-8 (a text/* type then says `charset=utf-8`). */
  readonly content: Uint8Array | string;
  /** A bare `type/subtype` (default application/octet-stream). */
  readonly contentType?: string | undefined;
}

export interface ComposeOptions {
  readonly from: string;
  /** One mailbox (`'Name <a@example.org>'`; a string is never split at commas) or several. */
  readonly to?: string | readonly string[] | undefined;
  readonly cc?: string | readonly string[] | undefined;
  readonly bcc?: string | readonly string[] | undefined;
  readonly replyTo?: string | undefined;
  readonly subject?: string | undefined;
  readonly text?: string | undefined;
  readonly html?: string | undefined;
  readonly attachments?: readonly Attachment[] | undefined;
  /** Extra headers, e.g. `X-SES-CONFIGURATION-SET`. */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  readonly date?: Date | undefined;
  /** Source of randomness for Message-ID and boundaries (tests pass a deterministic one). */
  readonly random?: ((bytes: number) => Uint8Array) | undefined;
}

export interface ComposedMessage {
  readonly envelope: { readonly from: string; readonly to: readonly string[] };
  readonly messageId: string;
  readonly raw: Uint8Array;
}

const FOLD_AT = 78;
/** RFC 2047 §2: a header line that holds an encoded-word is at most 76 characters. */
const FOLD_ENCODED_AT = 76;
/** RFC 6838 §4.2: a media type's type and subtype names are at most 127 characters each. */
const MEDIA_NAME = /^[A-Za-z0-9!#$&^_.+-]{1,127}\/[A-Za-z0-9!#$&^_.+-]{1,127}$/;
const BASE64_LINE = 76;
const HEADER_NAME = /^[\x21-\x39\x3b-\x7e]+$/; // RFC 5322 §2.2 ftext: printable except ':'
/** A field name and ": " within the 78-character line (RFC 5322 §2.1.1): the value can then fold. */
const MAX_HEADER_NAME = FOLD_AT - 2;

/**
 * Composes a message. Every input is checked first (types, then content): bad input throws an
 * SmtpUsageError with a stable code and the field it is about.
 */
export function composeMessage(options: ComposeOptions): ComposedMessage {
  checkComposeInput(options);
  const source = options.random;
  const random = source === undefined ? secureRandom : (octets: number) => checkedRandom(source, octets);
  const from = parseMailbox(options.from, 'from');
  const lists = {
    to: parseList(options.to, 'to'),
    cc: parseList(options.cc, 'cc'),
    bcc: parseList(options.bcc, 'bcc'),
  };
  const recipients = [...new Set([...lists.to, ...lists.cc, ...lists.bcc].map((m) => m.address))];
  if (recipients.length === 0) {
    throw new SmtpUsageError({
      code: ErrorCodes.NO_RECIPIENTS,
      message: 'the message has no recipients',
      field: 'to',
    });
  }
  const domain = from.address.slice(from.address.lastIndexOf('@') + 1);
  const messageId = `<${hex(random(16))}@${domain}>`;

  const headers: string[] = [
    addressHeader('From', [from], 'from'),
    ...(lists.to.length > 0 ? [addressHeader('To', lists.to, 'to')] : []),
    ...(lists.cc.length > 0 ? [addressHeader('Cc', lists.cc, 'cc')] : []),
    ...(options.replyTo === undefined
      ? []
      : [addressHeader('Reply-To', [parseMailbox(options.replyTo, 'replyTo')], 'replyTo')]),
    unstructured('Subject', options.subject ?? '', 'subject'),
    header('Date', formatDate(checkedDate(options.date))),
    header('Message-ID', messageId),
    header('MIME-Version', '1.0'),
    ...extraHeaders(options.headers ?? {}),
  ];
  const body = buildBody(options, () => `=_sm_${hex(random(12))}`);
  const text = `${headers.join('\r\n')}\r\n${body}`;
  return { envelope: { from: from.address, to: recipients }, messageId, raw: new TextEncoder().encode(text) };
}

function parseList(list: string | readonly string[] | undefined, field: string): Mailbox[] {
  if (typeof list === 'string') return [parseMailbox(list, field)];
  return (list ?? []).map((entry, i) => parseMailbox(entry, `${field}[${i}]`));
}

/** A MIME entity: its header lines and its (already encoded) body. */
interface Part {
  readonly headers: readonly string[];
  readonly body: string;
}

function buildBody(options: ComposeOptions, boundary: () => string): string {
  const texts: Part[] = [];
  if (options.text !== undefined || options.html === undefined)
    texts.push(textPart(options.text ?? '', 'plain'));
  if (options.html !== undefined) texts.push(textPart(options.html, 'html'));
  let root: Part = texts.length === 1 ? (texts[0] as Part) : multipart('alternative', texts, boundary());
  const attachments = (options.attachments ?? []).map(attachmentPart);
  if (attachments.length > 0) root = multipart('mixed', [root, ...attachments], boundary());
  return `${root.headers.join('\r\n')}\r\n\r\n${root.body}`;
}

function textPart(text: string, subtype: 'plain' | 'html'): Part {
  const { encoding, body } = textBody(text);
  return {
    headers: [`Content-Type: text/${subtype}; charset=utf-8`, `Content-Transfer-Encoding: ${encoding}`],
    body,
  };
}

/**
 * A text part's body: as written, with every line break made CRLF, when it is 7bit (ASCII, no NUL,
 * no line over 998 octets: RFC 5322 §2.1.1, RFC 2045 §2.7); quoted-printable otherwise. One pass
 * decides, and a text whose breaks are all CRLF already is used as it is.
 */
export function textBody(text: string): { encoding: '7bit' | 'quoted-printable'; body: string } {
  let line = 0;
  let crlfOnly = true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0d || c === 0x0a) {
      if (c === 0x0d && text.charCodeAt(i + 1) === 0x0a) i++;
      else crlfOnly = false;
      line = 0;
    } else if (c === 0 || c > 0x7f || ++line > MAX_TEXT_LINE_OCTETS) {
      return { encoding: 'quoted-printable', body: encodeQuotedPrintable(text) };
    }
  }
  return { encoding: '7bit', body: crlfOnly ? text : text.split(/\r\n|\r|\n/).join('\r\n') };
}

function attachmentPart(attachment: Attachment, index: number): Part {
  const field = `attachments[${index}]`;
  const type = attachment.contentType ?? 'application/octet-stream';
  if (!MEDIA_NAME.test(type)) {
    throw new SmtpUsageError({
      code: ErrorCodes.INVALID_ARGUMENT,
      message: `${field}.contentType is not a MIME type`,
      field,
    });
  }
  const content =
    typeof attachment.content === 'string'
      ? Buffer.from(attachment.content, 'utf8')
      : Buffer.from(attachment.content);
  checkFileName(attachment.filename, field);
  const { encoding, body } = attachmentBody(type.toLowerCase(), content, field);
  // A string went out as UTF-8: a text part without a charset would read as US-ASCII (RFC 2046 §4.1.2).
  const utf8Text = typeof attachment.content === 'string' && type.toLowerCase().startsWith('text/');
  const contentType = utf8Text
    ? withParameter(`Content-Type: ${type};`, ' charset=utf-8;')
    : `Content-Type: ${type};`;
  return {
    headers: [
      withParameter(contentType, fileNameParameter('name', attachment.filename)),
      `Content-Transfer-Encoding: ${encoding}`,
      withParameter('Content-Disposition: attachment;', fileNameParameter('filename', attachment.filename)),
    ],
    body,
  };
}

/**
 * base64, except where RFC 2046 forbids it: a multipart/* needs its own boundary and parts (refused:
 * attach it as application/octet-stream), and message/* other than message/global (RFC 6532 §3.5)
 * may only be 7bit, 8bit or binary (§5.2.1) — written as 7bit when it is (ASCII, lines within 998
 * octets), else refused.
 */
function attachmentBody(type: string, content: Buffer, field: string): { encoding: string; body: string } {
  const refuse = (why: string): never => {
    throw new SmtpUsageError({
      code: ErrorCodes.INVALID_ARGUMENT,
      message: `${field}.contentType ${why}; attach it as application/octet-stream (or message/global)`,
      field,
    });
  };
  if (type.startsWith('multipart/'))
    refuse('is a multipart type, which needs a boundary and parts of its own');
  if (type.startsWith('message/') && type !== 'message/global') {
    const seven = textBody(content.toString('latin1'));
    if (seven.encoding !== '7bit')
      refuse('is a message type, which cannot be base64 and this one is not 7-bit text');
    return { encoding: '7bit', body: seven.body };
  }
  return { encoding: 'base64', body: wrap(content.toString('base64'), BASE64_LINE) };
}

function checkFileName(filename: string, field: string): void {
  if (filename === '' || /[\0-\x1f\x7f]/.test(filename) || LONE_SURROGATE.test(filename)) {
    throw new SmtpUsageError({
      code: ErrorCodes.INVALID_ARGUMENT,
      message: `${field}.filename is empty, has control characters or is not valid Unicode`,
      field,
    });
  }
}

/**
 * A header line and its parameter (` name=…`, leading space), folded before the parameter when one
 * line would pass 78 characters (RFC 5322 §2.1.1's SHOULD; continuations come folded already).
 */
function withParameter(head: string, parameter: string): string {
  // The line the parameter would join: the head's last (it may already be folded).
  const fold = head.lastIndexOf('\r\n');
  const lastLine = fold < 0 ? head.length : head.length - fold - 2;
  if (parameter.startsWith('\r\n') || lastLine + parameter.length <= 78) return head + parameter;
  return `${head}\r\n${parameter}`;
}

/** Longest file name sent as a plain quoted string. */
const PLAIN_FILENAME = 60;
/** Percent-encoded octets per RFC 2231 continuation: each folded line stays under 78 characters. */
const RFC2231_SEGMENT = 50;

/**
 * ` name="plain.pdf"` for short plain ASCII names (none holding `=?`: RFC 2047 §5 keeps encoded-words
 * out of a quoted parameter, but common parsers decode them there); otherwise RFC 2231 §3–4 encoding and
 * continuations (` name*0*=UTF-8''r%C3%A9…;` folded onto further lines) so that no line of the
 * part header passes 998 octets however long the name is.
 */
function fileNameParameter(param: 'name' | 'filename', filename: string): string {
  if (isAscii(filename) && !/["\\]|=\?/.test(filename) && filename.length <= PLAIN_FILENAME) {
    return ` ${param}="${filename}"`;
  }
  const encoded = encodeURIComponent(filename).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  const segments: string[] = [];
  for (let i = 0; i < encoded.length; ) {
    let end = Math.min(i + RFC2231_SEGMENT, encoded.length);
    // Never split a %XX triple.
    if (encoded[end - 1] === '%') end -= 1;
    else if (encoded[end - 2] === '%') end -= 2;
    segments.push(encoded.slice(i, end));
    i = end;
  }
  if (segments.length === 1) return ` ${param}*=UTF-8''${segments[0]}`;
  return segments.map((segment, i) => `\r\n ${param}*${i}*=${i === 0 ? "UTF-8''" : ''}${segment}`).join(';');
}

/**
 * RFC 2046 §5.1.1: the boundary delimiter must not occur in the parts it encloses. A drawn boundary
 * that does — a forwarded message holding it, a nested multipart's own under a deterministic `random`
 * — takes a counter after `=_sm` (`=_sm1_…`, `=_sm2_…`) until it does not; the counter comes before
 * the random part, so no boundary of the message begins with another.
 */
function freeBoundary(drawn: string, parts: readonly Part[]): string {
  const occurs = (candidate: string) =>
    parts.some(
      (part) =>
        part.body.includes(`--${candidate}`) || part.headers.some((h) => h.includes(`--${candidate}`)),
    );
  let boundary = drawn;
  for (let n = 1; occurs(boundary); n++) boundary = drawn.replace(/^=_sm/, `=_sm${n}`);
  return boundary;
}

function multipart(subtype: 'alternative' | 'mixed', parts: readonly Part[], drawn: string): Part {
  const boundary = freeBoundary(drawn, parts);
  const body = parts
    .map((part) => `--${boundary}\r\n${part.headers.join('\r\n')}\r\n\r\n${part.body}\r\n`)
    .join('');
  return {
    headers: [`Content-Type: multipart/${subtype}; boundary="${boundary}"`],
    body: `${body}--${boundary}--`,
  };
}

/** Headers the composer writes itself: given again they would make the message invalid (RFC 5322 §3.6). */
const OWN_HEADERS = new Set([
  'from',
  'to',
  'cc',
  'bcc',
  'reply-to',
  'subject',
  'date',
  'message-id',
  'mime-version',
  'content-type',
  'content-transfer-encoding',
  'content-disposition',
]);

/**
 * Extra headers whose value is a mailbox or an address list (RFC 5322 §3.6.2, §3.6.6; RFC 8098 §2.1;
 * the legacy Return-Receipt-To and Errors-To): parsed and written as From and To are, so that a
 * non-ASCII display name is encoded and the address itself never is (RFC 2047 §5).
 */
const ADDRESS_HEADERS: ReadonlySet<string> = new Set([
  'sender',
  'disposition-notification-to',
  'return-receipt-to',
  'errors-to',
]);

/** Of those, the ones that hold a single mailbox (RFC 5322 §3.6.2 `sender`). */
const ONE_MAILBOX_HEADERS: ReadonlySet<string> = new Set(['sender']);

/** Trace fields (RFC 5321 §4.4) and resent fields (RFC 5322 §3.6.6): refused in a new message. */
const TRACE_OR_RESENT = /^(?:resent-.*|received|return-path)$/i;

/**
 * Structured headers whose grammar has no place for an encoded-word (RFC 2047 §5: msg-ids, URLs,
 * tag lists): ASCII only, written as given. Content-ID (RFC 2045 §7), Original-Message-ID
 * (RFC 8098 §3.2.5), Archived-At (RFC 5064), Content-Location (RFC 2557 §4.2), DKIM-Signature
 * (RFC 6376 §3.5), ARC (RFC 8617), Authentication-Results (RFC 8601), Autocrypt.
 */
const ASCII_HEADERS: ReadonlySet<string> = new Set([
  'in-reply-to',
  'references',
  'content-id',
  'original-message-id',
  'content-location',
  'archived-at',
  'dkim-signature',
  'arc-seal',
  'arc-message-signature',
  'arc-authentication-results',
  'authentication-results',
  'autocrypt',
  'list-id',
  'list-help',
  'list-subscribe',
  'list-unsubscribe',
  'list-unsubscribe-post',
  'list-post',
  'list-owner',
  'list-archive',
]);

/** An address list split at the commas outside quoted strings and angle brackets (RFC 5322 §3.4). */
function splitAddressList(value: string): string[] {
  const parts: string[] = [];
  let quoted = false;
  let angle = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '\\' && quoted) i++;
    else if (c === '"') quoted = !quoted;
    else if (!quoted && c === '<') angle = true;
    else if (!quoted && c === '>') angle = false;
    else if (!quoted && !angle && c === ',') {
      parts.push(value.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(value.slice(start));
  return parts.map((part) => part.trim()).filter((part) => part !== '');
}

/** The caller's extra headers, each by its grammar; a name given twice (case-insensitively) is refused. */
function extraHeaders(headers: Readonly<Record<string, string>>): string[] {
  const seen = new Set<string>();
  return Object.entries(headers).map(([name, value]) => {
    const lower = name.toLowerCase();
    if (seen.has(lower)) {
      throw new SmtpUsageError({
        code: ErrorCodes.INVALID_ARGUMENT,
        message: `headers: ${name} is given twice (header names are case-insensitive)`,
        field: `headers.${name}`,
      });
    }
    seen.add(lower);
    return extraHeader(name, value);
  });
}

function extraHeader(name: string, value: string): string {
  if (!HEADER_NAME.test(name) || name.length > MAX_HEADER_NAME) {
    throw new SmtpUsageError({
      code: ErrorCodes.INVALID_ARGUMENT,
      message: `a header name is not RFC 5322 ftext of at most ${MAX_HEADER_NAME} characters`,
      field: 'headers',
    });
  }
  if (TRACE_OR_RESENT.test(name)) {
    throw new SmtpUsageError({
      code: ErrorCodes.INVALID_ARGUMENT,
      message:
        `headers: ${name} is not for a new message: Resent-* fields belong to a resent one, in a block ` +
        'on top of its header (RFC 5322 §3.6.6; Resent-Bcc would show its addresses), and ' +
        'Received / Return-Path are added by the servers that relay and deliver it (RFC 5321 §4.4)',
      field: 'headers',
    });
  }
  if (OWN_HEADERS.has(name.toLowerCase())) {
    throw new SmtpUsageError({
      code: ErrorCodes.INVALID_ARGUMENT,
      message: `headers: ${name} is written by the composer; use its own option`,
      field: 'headers',
    });
  }
  const lower = name.toLowerCase();
  const field = `headers.${name}`;
  if (ADDRESS_HEADERS.has(lower)) {
    const mailboxes = splitAddressList(value).map((entry, i) => parseMailbox(entry, `${field}[${i}]`));
    if (mailboxes.length === 0) {
      throw new SmtpUsageError({
        code: ErrorCodes.INVALID_ADDRESS,
        message: `headers: ${name} holds no address`,
        field,
      });
    }
    if (ONE_MAILBOX_HEADERS.has(lower) && mailboxes.length > 1) {
      throw new SmtpUsageError({
        code: ErrorCodes.INVALID_ARGUMENT,
        message: `headers: ${name} holds one mailbox, not a list (RFC 5322 §3.6.2)`,
        field,
      });
    }
    return addressHeader(name, mailboxes, field);
  }
  if (ASCII_HEADERS.has(lower)) {
    if (!isAscii(value)) {
      throw new SmtpUsageError({
        code: ErrorCodes.INVALID_ARGUMENT,
        message: `headers: ${name} must be ASCII (its grammar has no encoded-words, RFC 2047 §5)`,
        field,
      });
    }
    // Written as given (a msg-id or URL may hold '=?'); TAB is white space between its tokens.
    if (/[\0-\x08\x0a-\x1f\x7f]/.test(value)) {
      throw new SmtpUsageError({
        code: ErrorCodes.CONTROL_CHARACTER,
        message: `header ${name} contains a control character`,
        field,
      });
    }
    return fold(`${name}: ${value}`, field);
  }
  return unstructured(name, value, name);
}

/**
 * Unstructured text (RFC 5322 §3.2.5), folded; encoded-words when it is not plain printable ASCII,
 * or when a word (or a run of white space) in it is too long for a header line (RFC 2047 allows
 * encoding any unstructured text). `field` names the option in errors.
 */
function unstructured(name: string, value: string, field: string): string {
  if (/[\r\n\0]/.test(value)) {
    throw new SmtpUsageError({
      code: ErrorCodes.CONTROL_CHARACTER,
      message: `header ${name} contains a line break or NUL`,
      field: name,
    });
  }
  if (!needsEncodedWords(value)) {
    const plain = foldLines(`${name}: ${value}`);
    if (fits(plain)) return plain.join('\r\n');
  }
  return fold(`${name}: ${encodeWords(value).join(' ')}`, field);
}

/** Mailboxes as From and To are written; display names too long for a line go as encoded-words. */
function addressHeader(name: string, mailboxes: readonly Mailbox[], field: string): string {
  const plain = foldLines(`${name}: ${mailboxes.map((m) => formatMailbox(m)).join(', ')}`);
  if (fits(plain)) return plain.join('\r\n');
  return fold(`${name}: ${mailboxes.map((m) => formatMailbox(m, true)).join(', ')}`, field);
}

function header(name: string, value: string): string {
  return fold(`${name}: ${value}`, name);
}

/** The folded line, or SMTP_INVALID_ARGUMENT naming `field` when a word cannot fit 998 octets. */
function fold(line: string, field: string): string {
  const lines = foldLines(line);
  if (!fits(lines)) {
    throw new SmtpUsageError({
      code: ErrorCodes.INVALID_ARGUMENT,
      message: `${field}: a word is too long for a header line (998 octets)`,
      field,
    });
  }
  return lines.join('\r\n');
}

const fits = (lines: readonly string[]): boolean => lines.every((l) => l.length <= MAX_TEXT_LINE_OCTETS);

/**
 * Folds a header line at white space so that lines stay near 78 characters (RFC 5322 §2.2.3), or 76
 * when it holds an encoded-word (RFC 2047 §2). It breaks only at a space that follows a non-space,
 * and never after the last word, so no line is white space alone (RFC 5322 §4.2 obsolete syntax); a
 * run of spaces stays whole.
 */
function foldLines(line: string): string[] {
  const width = line.includes('=?') ? FOLD_ENCODED_AT : FOLD_AT;
  if (line.length <= width) return [line];
  const out: string[] = [];
  const lastWord = lastWordStart(line);
  let start = 0;
  while (line.length - start > width) {
    const at = foldPoint(line, start, width, lastWord);
    if (at === undefined) break;
    out.push(line.slice(start, at));
    start = at;
  }
  out.push(line.slice(start));
  return out;
}

/** Where the line's last word starts (white space after it not counted); 0 when there is none. */
function lastWordStart(line: string): number {
  const blank = (at: number) => line[at] === ' ' || line[at] === '\t';
  let end = line.length;
  while (end > 0 && blank(end - 1)) end--;
  let at = end;
  while (at > 0 && !blank(at - 1)) at--;
  return at;
}

/**
 * In the line from `start`: the last space at or before `width` that follows a non-space (else the
 * first one after it), and that comes before the line's last word (`lastWord`): white space that
 * ends the value stays on its last line. Linear over the whole fold: each call looks at most `width`
 * back, and a forward look consumes what it passes.
 */
function foldPoint(line: string, start: number, width: number, lastWord: number): number | undefined {
  const breaks = (at: number) =>
    line[at] === ' ' && at > start && at < lastWord && line[at - 1] !== ' ' && line[at - 1] !== '\t';
  for (let at = Math.min(start + width, line.length - 1); at > start; at--) if (breaks(at)) return at;
  for (let at = start + width + 1; at < line.length; at++) if (breaks(at)) return at;
  return undefined;
}

function wrap(text: string, width: number): string {
  const lines: string[] = [];
  for (let i = 0; i < text.length; i += width) lines.push(text.slice(i, i + width));
  return lines.join('\r\n');
}

/** RFC 5322 §3.3: a real date, in year 1900 or later (four digits are written). */
function checkedDate(date: Date | undefined): Date {
  if (date === undefined) return new Date();
  const year = date instanceof Date ? date.getUTCFullYear() : Number.NaN;
  if (!(year >= 1900 && year <= 9999)) {
    throw new SmtpUsageError({
      code: ErrorCodes.INVALID_ARGUMENT,
      message: 'date must be a valid Date from year 1900 to 9999',
      field: 'date',
    });
  }
  return date;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** RFC 5322 §3.3 date-time, in UTC. */
export function formatDate(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${DAYS[date.getUTCDay()]}, ${pad(date.getUTCDate())} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()} ${pad(
    date.getUTCHours(),
  )}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

/**
 * Random octets from the CSPRNG, drawn in blocks: one `randomFillSync` call costs ~4 µs, about half
 * of composing a small message, and a Message-ID and a boundary need only 16 and 12 octets. Every
 * octet is handed out once; a new block is a new array, so earlier results never change.
 */
const RANDOM_BLOCK_OCTETS = 4096;
let randomBlock = new Uint8Array(0);
let randomTaken = 0;

function secureRandom(octets: number): Uint8Array {
  if (!Number.isSafeInteger(octets) || octets < 0)
    throw new RangeError('octets must be a non-negative integer');
  if (octets > RANDOM_BLOCK_OCTETS) return randomFillSync(new Uint8Array(octets));
  if (randomTaken + octets > randomBlock.length) {
    randomBlock = randomFillSync(new Uint8Array(RANDOM_BLOCK_OCTETS));
    randomTaken = 0;
  }
  randomTaken += octets;
  return randomBlock.slice(randomTaken - octets, randomTaken);
}
