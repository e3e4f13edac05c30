/**
 * Messages for `smtp-machine send`: composed from flags (composeMessage), a raw .eml file with the
 * envelope from flags, or a JSON Lines batch (one {from,to,cc,bcc,subject,text,html} per line).
 */
import { basename } from 'node:path';
import { type ErrorCode, ErrorCodes } from '../errors/codes.js';
import { isSmtpError } from '../errors/smtp-error.js';
import { type Attachment, type ComposeOptions, composeMessage } from '../message/compose.js';
import { CliError, usageError } from './args.js';
import { type InputLimits, readInput, readInputBytes } from './connection.js';
import type { Outgoing } from './deliverer.js';
import { messageOf } from './error-text.js';

export interface MessageFlags {
  readonly from?: string | undefined;
  readonly to?: readonly string[] | undefined;
  readonly cc?: readonly string[] | undefined;
  readonly bcc?: readonly string[] | undefined;
  readonly subject?: string | undefined;
  readonly text?: string | undefined;
  readonly 'text-file'?: string | undefined;
  readonly html?: string | undefined;
  readonly 'html-file'?: string | undefined;
  readonly attach?: readonly string[] | undefined;
  readonly header?: readonly string[] | undefined;
  /** With --eml: the file's octets unchanged (BODY=BINARYMIME). */
  readonly binary?: boolean | undefined;
}

/** The flags that compose a message from parts: --eml and --batch bring the message themselves. */
const COMPOSING_FLAGS = [
  'subject',
  'text',
  'text-file',
  'html',
  'html-file',
  'attach',
  'cc',
  'bcc',
  'header',
] as const;

/** A batch line that could not become a message: reported in place of a delivery result. */
export interface InvalidLine {
  readonly id: number;
  readonly problem: string;
  /** The stable SMTP_* code when the library refused the line (the composer's, an address check's). */
  readonly code?: ErrorCode;
}

function compose(options: ComposeOptions, where: string): ReturnType<typeof composeMessage> {
  try {
    return composeMessage(options);
  } catch (error) {
    // A usage error (64) whatever the code (a non-ASCII address is the caller's input here, not a
    // message a server refused), keeping the composer's stable code for --json and scripts.
    if (isSmtpError(error)) throw usageError(`${where}: ${error.message}`, [], error.code);
    throw error;
  }
}

function parseHeaders(lines: readonly string[] | undefined): Record<string, string> | undefined {
  if (lines === undefined || lines.length === 0) return undefined;
  // Every --header as given: a name twice is the composer's error, not the last one winning, and a
  // name such as __proto__ is an own key rather than a prototype (Object.fromEntries).
  const entries: [string, string][] = [];
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw usageError('--header must look like "Name: value"');
    const name = line.slice(0, colon).trim();
    if (entries.some(([given]) => given.toLowerCase() === name.toLowerCase())) {
      throw usageError(
        `--header ${name} is given twice (header names are case-insensitive)`,
        [],
        ErrorCodes.INVALID_ARGUMENT,
      );
    }
    entries.push([name, line.slice(colon + 1).trim()]);
  }
  return Object.fromEntries(entries);
}

async function attachments(
  paths: readonly string[] | undefined,
  limits: InputLimits,
): Promise<Attachment[] | undefined> {
  if (paths === undefined || paths.length === 0) return undefined;
  return Promise.all(
    paths.map(async (path) => ({
      filename: basename(path),
      content: await readInputBytes(path, '--attach', limits),
    })),
  );
}

/**
 * One message from --from/--to/--subject/--text/... flags. `limits`: files are read under the
 * command's signal, and one larger than the message limit is refused unread.
 */
export async function messageFromFlags(flags: MessageFlags, limits: InputLimits = {}): Promise<Outgoing> {
  if (flags.from === undefined) throw usageError('--from is required');
  if (flags.text !== undefined && flags['text-file'] !== undefined)
    throw usageError('give --text or --text-file, not both');
  if (flags.html !== undefined && flags['html-file'] !== undefined)
    throw usageError('give --html or --html-file, not both');
  const text =
    flags['text-file'] === undefined
      ? flags.text
      : await readInput(flags['text-file'], '--text-file', limits);
  const html =
    flags['html-file'] === undefined
      ? flags.html
      : await readInput(flags['html-file'], '--html-file', limits);
  const files = await attachments(flags.attach, limits);
  const headers = parseHeaders(flags.header);
  const composed = compose(
    {
      from: flags.from,
      ...(flags.to === undefined ? {} : { to: flags.to }),
      ...(flags.cc === undefined ? {} : { cc: flags.cc }),
      ...(flags.bcc === undefined ? {} : { bcc: flags.bcc }),
      ...(flags.subject === undefined ? {} : { subject: flags.subject }),
      ...(text === undefined ? {} : { text }),
      ...(html === undefined ? {} : { html }),
      ...(files === undefined ? {} : { attachments: files }),
      ...(headers === undefined ? {} : { headers }),
    },
    'message',
  );
  return { id: 1, from: composed.envelope.from, to: composed.envelope.to, raw: composed.raw };
}

/** A raw RFC 5322 message from a file, sent as is; the envelope comes from --from and --to. */
export async function messageFromEml(
  path: string,
  flags: MessageFlags,
  limits: InputLimits = {},
): Promise<Outgoing> {
  if (flags.from === undefined || flags.to === undefined || flags.to.length === 0) {
    throw usageError('--eml needs --from and --to for the envelope (MAIL FROM / RCPT TO)');
  }
  const extra = COMPOSING_FLAGS.find((flag) => flags[flag] !== undefined);
  if (extra !== undefined)
    throw usageError(`--${extra} cannot be combined with --eml (the file is sent as is)`);
  const raw = await readInputBytes(path, '--eml', limits);
  if (raw.length === 0) throw usageError('the file given to --eml is empty: there is no message to send');
  const binary = flags.binary === true ? { binary: true } : {};
  return { id: 1, from: bareAddress(flags.from), to: flags.to.map(bareAddress), raw, ...binary };
}

/** `Name <a@b>` → `a@b`, for envelope addresses given in display form. */
function bareAddress(text: string): string {
  const angle = /<([^<>]*)>\s*$/.exec(text);
  return (angle?.[1] ?? text).trim();
}

function stringList(value: unknown, field: string, line: number): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as string[];
  throw new Error(`line ${line}: "${field}" must be a string or an array of strings`);
}

function optionalString(value: unknown, field: string, line: number): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  throw new Error(`line ${line}: "${field}" must be a string`);
}

/** The fields a batch line may have: any other (a typo, an attachment) refuses the line. */
const BATCH_FIELDS = ['from', 'to', 'cc', 'bcc', 'subject', 'text', 'html'] as const;

function batchLine(text: string, line: number, defaultFrom: string | undefined): Outgoing {
  let record: unknown;
  try {
    record = JSON.parse(text);
  } catch {
    throw new Error(`line ${line}: not valid JSON`);
  }
  if (record === null || typeof record !== 'object' || Array.isArray(record)) {
    throw new Error(`line ${line}: must be a JSON object`);
  }
  const r = record as Record<string, unknown>;
  const unknown = Object.keys(r).find((key) => !(BATCH_FIELDS as readonly string[]).includes(key));
  if (unknown !== undefined) {
    throw new Error(
      `line ${line}: unknown field ${JSON.stringify(unknown)} (allowed: ${BATCH_FIELDS.join(', ')})`,
    );
  }
  const from = optionalString(r.from, 'from', line) ?? defaultFrom;
  if (from === undefined) throw new Error(`line ${line}: no "from" (give it per line or with --from)`);
  const lists = {
    to: stringList(r.to, 'to', line),
    cc: stringList(r.cc, 'cc', line),
    bcc: stringList(r.bcc, 'bcc', line),
  };
  const subject = optionalString(r.subject, 'subject', line);
  const text2 = optionalString(r.text, 'text', line);
  const html = optionalString(r.html, 'html', line);
  const composed = compose(
    {
      from,
      ...(lists.to === undefined ? {} : { to: lists.to }),
      ...(lists.cc === undefined ? {} : { cc: lists.cc }),
      ...(lists.bcc === undefined ? {} : { bcc: lists.bcc }),
      ...(subject === undefined ? {} : { subject }),
      ...(text2 === undefined ? {} : { text: text2 }),
      ...(html === undefined ? {} : { html }),
    },
    `line ${line}`,
  );
  return { id: line, from: composed.envelope.from, to: composed.envelope.to, raw: composed.raw };
}

/**
 * Every non-empty line of a JSON Lines file: messages, and the lines that could not be used. Each
 * line is the whole message: of the message flags only --from is taken (the default sender); the
 * others are refused rather than silently ignored.
 */
export async function messagesFromBatch(
  path: string,
  flags: MessageFlags,
  signal?: AbortSignal,
): Promise<{ messages: Outgoing[]; invalid: InvalidLine[] }> {
  const extra = (['to', ...COMPOSING_FLAGS] as const).find((flag) => flags[flag] !== undefined);
  if (extra !== undefined) {
    throw usageError(`--${extra} cannot be combined with --batch (each line holds its whole message)`);
  }
  const defaultFrom = flags.from;
  // A UTF-8 byte order mark (Notepad, PowerShell's Out-File) is not part of the first line.
  const text = (await readInput(path, '--batch', signal === undefined ? {} : { signal })).replace(
    /^\uFEFF/,
    '',
  );
  const messages: Outgoing[] = [];
  const invalid: InvalidLine[] = [];
  text.split(/\r?\n/).forEach((lineText, index) => {
    if (lineText.trim() === '') return;
    try {
      messages.push(batchLine(lineText, index + 1, defaultFrom));
    } catch (error) {
      const code = error instanceof CliError ? error.code : undefined;
      invalid.push({ id: index + 1, problem: messageOf(error), ...(code === undefined ? {} : { code }) });
    }
  });
  return { messages, invalid };
}
