import { invalidArgument, isRecord } from '../errors/invalid-argument.js';

/** ComposeOptions' keys: any other (a typo such as `attachment`) would be silently ignored. */
const OPTION_KEYS: ReadonlySet<string> = new Set([
  'from',
  'to',
  'cc',
  'bcc',
  'replyTo',
  'subject',
  'text',
  'html',
  'attachments',
  'headers',
  'date',
  'random',
]);
const ATTACHMENT_KEYS: ReadonlySet<string> = new Set(['filename', 'content', 'contentType']);

function checkKeys(value: object, known: ReadonlySet<string>, prefix: string, what: string): void {
  for (const key in value) {
    if (Object.hasOwn(value, key) && !known.has(key))
      throw invalidArgument(`${prefix}${key}`, `is not ${what}`);
  }
}

/** A UTF-16 surrogate without its pair: it has no UTF-8 form (an encoder would write U+FFFD). */
export const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function checkString(value: unknown, field: string): void {
  if (typeof value !== 'string') throw invalidArgument(field, 'must be a string');
  checkUnicode(value, field);
}

/** Text to be sent: refused rather than sent with U+FFFD where the caller's character was. */
function checkUnicode(value: string, field: string): void {
  if (LONE_SURROGATE.test(value))
    throw invalidArgument(field, 'is not valid Unicode (a lone UTF-16 surrogate)');
}

function checkOptionalString(value: unknown, field: string): void {
  if (value !== undefined) checkString(value, field);
}

/** to, cc, bcc: one mailbox as a string (as send() takes `to`), or an array of them. */
function checkList(value: unknown, field: string): void {
  if (value === undefined) return;
  if (typeof value === 'string') {
    checkUnicode(value, field);
    return;
  }
  if (!Array.isArray(value)) throw invalidArgument(field, 'must be a string or an array of strings');
  for (let i = 0; i < value.length; i++) checkString(value[i], `${field}[${i}]`);
}

/**
 * A record of header name to value (its own enumerable keys, as the composer reads it). A collection
 * — an array, a Map, fetch's Headers, anything iterable — would lose every header silently.
 */
function checkHeaders(value: unknown): void {
  if (value === undefined) return;
  if (!isRecord(value) || Symbol.iterator in value) {
    throw invalidArgument('headers', 'must be a plain object of header name to string value');
  }
  for (const [name, text] of Object.entries(value as object)) checkString(text, `headers.${name}`);
}

function checkAttachments(value: unknown): void {
  if (value === undefined) return;
  if (!Array.isArray(value)) throw invalidArgument('attachments', 'must be an array of attachments');
  for (let i = 0; i < value.length; i++) {
    const field = `attachments[${i}]`;
    const attachment: unknown = value[i];
    if (!isRecord(attachment)) throw invalidArgument(field, 'must be an object with filename and content');
    checkKeys(attachment, ATTACHMENT_KEYS, `${field}.`, 'an attachment option');
    // Its name's own checks (empty, controls, valid Unicode) are the composer's (checkFileName).
    if (typeof attachment.filename !== 'string')
      throw invalidArgument(`${field}.filename`, 'must be a string');
    const { content } = attachment;
    if (typeof content === 'string') checkUnicode(content, `${field}.content`);
    else if (!(content instanceof Uint8Array)) {
      throw invalidArgument(`${field}.content`, 'must be a string or a Uint8Array');
    }
    checkOptionalString(attachment.contentType, `${field}.contentType`);
  }
}

/** Throws SmtpUsageError (SMTP_INVALID_ARGUMENT, naming the field) unless `options` has the documented shape. */
export function checkComposeInput(options: unknown): void {
  if (!isRecord(options)) throw invalidArgument('options', 'must be an object');
  checkKeys(options, OPTION_KEYS, '', 'a composeMessage option');
  checkString(options.from, 'from');
  checkList(options.to, 'to');
  checkList(options.cc, 'cc');
  checkList(options.bcc, 'bcc');
  checkOptionalString(options.replyTo, 'replyTo');
  checkOptionalString(options.subject, 'subject');
  checkOptionalString(options.text, 'text');
  checkOptionalString(options.html, 'html');
  checkAttachments(options.attachments);
  checkHeaders(options.headers);
  if (options.random !== undefined && typeof options.random !== 'function') {
    throw invalidArgument('random', 'must be a function of a length returning that many random octets');
  }
}

/** `random`'s result, checked: a caller's function that returns the wrong thing is a usage error. */
export function checkedRandom(random: (octets: number) => Uint8Array, octets: number): Uint8Array {
  const bytes: unknown = random(octets);
  if (!(bytes instanceof Uint8Array) || bytes.length !== octets) {
    throw invalidArgument('random', `must return a Uint8Array of the length asked for (${octets})`);
  }
  return bytes;
}
