/**
 * Mailboxes as people write them (`Name <user@example.org>` or `user@example.org`), split into
 * the envelope address and a header form (RFC 5322 §3.4) with RFC 2047 words for non-ASCII names.
 */
import { ErrorCodes } from '../errors/codes.js';
import { SmtpUsageError } from '../errors/smtp-error.js';
import { validateAddress } from '../protocol/address.js';
import { encodeWords, needsEncodedWords } from './encoded-word.js';

export interface Mailbox {
  readonly name?: string;
  readonly address: string;
}

/**
 * RFC 5322 §3.2.3 atoms, one space between each: what a phrase may carry unquoted. Other spaces
 * (leading, trailing, a run) would be folding white space there and not part of the name (§3.2.2):
 * such a name is quoted.
 */
const PLAIN_PHRASE = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+(?: [A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+)*$/;

/** Parses `Name <addr>`, `"Quoted Name" <addr>`, `<addr>` or a bare address. */
export function parseMailbox(input: string, field: string, smtputf8 = false): Mailbox {
  if (/[\r\n\0]/.test(input)) {
    throw new SmtpUsageError({
      code: ErrorCodes.CONTROL_CHARACTER,
      message: `${field} contains a line break or NUL`,
      field,
    });
  }
  const text = input.trim();
  const open = text.lastIndexOf('<');
  let name: string | undefined;
  let address = text;
  if (text.endsWith('>') && open !== -1) {
    address = text.slice(open + 1, -1).trim();
    name = unquote(text.slice(0, open).trim()) || undefined;
  }
  validateAddress(address, field, { allowNull: false, smtputf8 });
  return name === undefined ? { address } : { name, address };
}

/**
 * The display name a phrase stands for (RFC 5322 §3.2.5: words, each an atom or a quoted-string;
 * §3.2.2: a run of white space or comments between two words reads as one space, none as nothing,
 * and a comment is no part of the name): `"A" "B"` is `A B`, not one quoted-string `A" "B`;
 * `"Doe, J." (Sales)` is `Doe, J.`. A phrase without a double quote, or with a quote or comment
 * left open, is taken as it is written.
 */
function unquote(phrase: string): string {
  if (!phrase.includes('"')) return phrase;
  let name = '';
  let gap = false;
  let i = 0;
  const word = (text: string): void => {
    name += gap && name !== '' ? ` ${text}` : text;
    gap = false;
  };
  while (i < phrase.length) {
    const c = phrase[i];
    if (c === ' ' || c === '\t') {
      gap = true;
      i++;
    } else if (c === '(') {
      const end = commentEnd(phrase, i);
      if (end === undefined) return phrase;
      gap = true;
      i = end;
    } else if (c === '"') {
      let text = '';
      for (i++; i < phrase.length && phrase[i] !== '"'; i++) {
        if (phrase[i] === '\\' && i + 1 < phrase.length) i++;
        text += phrase[i];
      }
      if (i >= phrase.length) return phrase; // no closing quote
      i++;
      word(text);
    } else {
      const start = i;
      while (i < phrase.length && !' \t"('.includes(phrase[i] as string)) i++;
      word(phrase.slice(start, i));
    }
  }
  return name;
}

/** The index after the comment that opens at `open` (nested, with quoted-pairs: §3.2.2), if it closes. */
function commentEnd(phrase: string, open: number): number | undefined {
  let depth = 0;
  for (let i = open; i < phrase.length; i++) {
    const c = phrase[i];
    if (c === '\\') i++;
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i + 1;
  }
  return undefined;
}

/** The header form of a mailbox. */
/** `encodeName`: the display name as encoded-words even when plain text would do (a word too long to fold). */
export function formatMailbox(mailbox: Mailbox, encodeName = false): string {
  if (mailbox.name === undefined) return mailbox.address;
  return `${formatPhrase(mailbox.name, encodeName)} <${mailbox.address}>`;
}

function formatPhrase(name: string, encode: boolean): string {
  if (encode || needsEncodedWords(name)) return encodeWords(name).join(' ');
  if (PLAIN_PHRASE.test(name)) return name;
  return `"${name.replace(/(["\\])/g, '\\$1')}"`;
}
