/**
 * Envelope address and domain validation by a real parse of the RFC 5321 §4.1.2 grammar
 * (Mailbox, Dot-string, Quoted-string, Domain, address-literal; §4.1.3 literals), the §4.5.3.1
 * length limits, and the RFC 6531 §3.3 UTF-8 extensions (atext, qtextSMTP, sub-domain U-labels).
 * A recipient may also be the bare `Postmaster` (§4.1.1.3; validateRecipient).
 */

import type { ErrorCode } from '../errors/codes.js';
import { ErrorCodes } from '../errors/codes.js';
import { SmtpUsageError } from '../errors/smtp-error.js';
import { MAX_LOCAL_PART_OCTETS, MAX_PATH_OCTETS } from './limits.js';

export interface AddressOptions {
  /** '' (the null reverse-path `<>`) is accepted: MAIL only (RFC 5321 §4.5.5). */
  readonly allowNull: boolean;
  /** Non-ASCII local parts and U-label domains are accepted (RFC 6531 §3.3). */
  readonly smtputf8: boolean;
}

export interface ParsedAddress {
  readonly localPart: string;
  readonly domain: string;
}

export function usageError(code: ErrorCode, field: string, problem: string): SmtpUsageError {
  return new SmtpUsageError({ code, field, message: `${field} ${problem}` });
}

export function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) > 0x7f) return false;
  }
  return true;
}

/** C0 controls, DEL and C1 controls (U+0080–U+009F: NEL and friends are line breaks to some software). */
export function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return true;
  }
  return false;
}

/** False for lone surrogates, which TextEncoder would silently turn into U+FFFD. */
export function isWellFormedUnicode(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c >= 0xdc00) return false;
    const next = text.charCodeAt(i + 1);
    if (!(next >= 0xdc00 && next <= 0xdfff)) return false;
    i++;
  }
  return true;
}

/** UTF-8 length of a well-formed string, without encoding it. */
export function utf8Length(text: string): number {
  let octets = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) octets += 1;
    else if (c >= 0xd800 && c <= 0xdbff) {
      octets += 2; // pair: 2 UTF-16 units → 4 octets
      i++;
    } else octets += 2;
  }
  return octets;
}

// RFC 5322 §3.2.3 atext specials allowed in an SMTP Atom besides ALPHA / DIGIT.
const ATEXT_SPECIALS = "!#$%&'*+-/=?^_`{|}~";

function isAlnum(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

function isAtext(c: number, utf8: boolean): boolean {
  if (c >= 0x80) return utf8;
  return isAlnum(c) || ATEXT_SPECIALS.includes(String.fromCharCode(c));
}

/** qtextSMTP = %d32-33 / %d35-91 / %d93-126 (RFC 5321 §4.1.2), =/ UTF8-non-ascii (RFC 6531 §3.3). */
function isQtext(c: number, utf8: boolean): boolean {
  if (c >= 0x80) return utf8;
  return c >= 32 && c <= 126 && c !== 34 && c !== 92;
}

/** Index just past the local part (at the '@'), or -1 when the local part is malformed. */
function scanLocalPart(text: string, utf8: boolean): number {
  if (text.charCodeAt(0) === 0x22) return scanQuotedString(text, utf8);
  let i = 0;
  let atomStart = true;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x40) break;
    if (c === 0x2e) {
      if (atomStart) return -1; // leading or doubled dot
      atomStart = true;
    } else if (isAtext(c, utf8)) {
      atomStart = false;
    } else {
      return -1;
    }
  }
  return atomStart ? -1 : i; // empty local part or trailing dot
}

/** Quoted-string = DQUOTE *QcontentSMTP DQUOTE; quoted-pairSMTP = %d92 %d32-126 (ASCII only). */
function scanQuotedString(text: string, utf8: boolean): number {
  for (let i = 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) return text.charCodeAt(i + 1) === 0x40 ? i + 1 : -1;
    if (c === 0x5c) {
      const escaped = text.charCodeAt(++i);
      if (!(escaped >= 32 && escaped <= 126)) return -1;
    } else if (!isQtext(c, utf8)) {
      return -1;
    }
  }
  return -1; // no closing quote
}

/** Domain = sub-domain *("." sub-domain); sub-domain = Let-dig [Ldh-str] (RFC 5321 §4.1.2), =/ U-label. */
export function isDomain(text: string, utf8: boolean): boolean {
  if (text.length === 0) return false;
  let labelStart = 0;
  for (let i = 0; i <= text.length; i++) {
    if (i === text.length || text.charCodeAt(i) === 0x2e) {
      if (!isLabel(text, labelStart, i, utf8)) return false;
      labelStart = i + 1;
    }
  }
  return true;
}

function isLabel(text: string, start: number, end: number, utf8: boolean): boolean {
  if (end === start) return false;
  let ascii = true;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) {
      if (!utf8) return false;
      ascii = false;
    } else if (!isAlnum(c) && c !== 0x2d) {
      return false;
    }
  }
  // RFC 1035 §2.3.4: 63 octets per label (U-labels are bounded by the whole-domain limit instead).
  if (ascii && end - start > 63) return false;
  return text.charCodeAt(start) !== 0x2d && text.charCodeAt(end - 1) !== 0x2d;
}

/**
 * address-literal (RFC 5321 §4.1.3): `[IPv4]` or `[IPv6:...]`. General-address-literal is refused:
 * IANA registers no Standardized-tag besides IPv6, so any other tag can only be a mistake or a probe.
 */
export function isAddressLiteral(text: string): boolean {
  if (text.length < 3 || text.charCodeAt(0) !== 0x5b || text.charCodeAt(text.length - 1) !== 0x5d) {
    return false;
  }
  const inner = text.slice(1, -1);
  if (inner.length > 5 && inner.slice(0, 5).toLowerCase() === 'ipv6:') return isIpv6(inner.slice(5));
  return isIpv4(inner);
}

/** IPv4-address-literal = Snum 3("." Snum); Snum = 1*3DIGIT, 0–255. */
function isIpv4(text: string): boolean {
  const parts = text.split('.');
  return parts.length === 4 && parts.every((p) => /^[0-9]{1,3}$/.test(p) && Number(p) <= 255);
}

/** IPv6-full / IPv6-comp / IPv6v4-full / IPv6v4-comp (RFC 5321 §4.1.3). */
function isIpv6(text: string): boolean {
  let groups = 8;
  let body = text;
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    if (!isIpv4(text.slice(lastColon + 1))) return false;
    groups = 6;
    body = text.slice(0, lastColon + 1);
    // The IPv4 tail follows a ':' that is either part of '::' or a separator: drop the separator.
    if (!body.endsWith('::')) body = body.slice(0, -1);
  }
  const halves = body.split('::');
  if (halves.length > 2) return false;
  const hex = (half: string): string[] | undefined => {
    if (half === '') return [];
    const parts = half.split(':');
    return parts.every((p) => /^[0-9A-Fa-f]{1,4}$/.test(p)) ? parts : undefined;
  };
  const left = hex(halves[0]!);
  if (left === undefined) return false;
  if (halves.length === 1) return left.length === groups;
  const right = hex(halves[1]!);
  // '::' stands for at least two groups of zeros (RFC 5321 §4.1.3: "No more than 6 groups in addition").
  return right !== undefined && left.length + right.length <= groups - 2;
}

/**
 * ASCII addresses that parsed, with their result. For a non-empty ASCII address every check below
 * gives the same answer whatever the options (they only matter for '' and for non-ASCII text), so a
 * hit is the answer the full parse would give. Each send checks its addresses when queued, when the
 * session takes it and when its commands are encoded: with the memo that is one parse, not three.
 * Bounded (at most 256 recent addresses, emptied when full; nothing else outlives a send). Refusals
 * are never remembered (their message names the field).
 */
const parsedAscii = new Map<string, ParsedAddress>();
const NULL_PATH: ParsedAddress = Object.freeze({ localPart: '', domain: '' });
const PARSED_ASCII_LIMIT = 256;

/**
 * Parses `local@domain` (no angle brackets) per RFC 5321 §4.1.2. The local part is scanned by the
 * grammar, so the '@' that ends it is the one outside any quotes: `"a@b x"@c.example` → c.example.
 */
export function parseAddress(address: string, field: string, options: AddressOptions): ParsedAddress {
  // Only strings are remembered: anything else misses and the full parse refuses it.
  const known = parsedAscii.get(address);
  if (known !== undefined) return known;
  const parsed = parseAddressUncached(address, field, options);
  if (address !== '' && isAscii(address)) {
    if (parsedAscii.size >= PARSED_ASCII_LIMIT) parsedAscii.clear();
    parsedAscii.set(address, parsed);
  }
  return parsed;
}

/** How many addresses the memo holds (for the test that it stays bounded). */
export const memoizedAddresses = (): number => parsedAscii.size;

/** parseAddress without the memo (exported for the property that the memo changes no answer). */
export function parseAddressUncached(address: string, field: string, options: AddressOptions): ParsedAddress {
  if (typeof address !== 'string') {
    throw usageError(ErrorCodes.INVALID_ARGUMENT, field, 'must be a string');
  }
  if (address === '') {
    if (options.allowNull) return NULL_PATH;
    throw usageError(ErrorCodes.INVALID_ADDRESS, field, 'must not be empty (the null path is for MAIL only)');
  }
  if (hasControlCharacter(address)) {
    throw usageError(ErrorCodes.CONTROL_CHARACTER, field, 'contains a control character');
  }
  const ascii = isAscii(address);
  if (!ascii && !options.smtputf8) {
    throw usageError(ErrorCodes.NON_ASCII_WITHOUT_SMTPUTF8, field, 'is not ASCII and SMTPUTF8 is not in use');
  }
  if (!ascii && !isWellFormedUnicode(address)) {
    throw usageError(ErrorCodes.INVALID_ADDRESS, field, 'is not well-formed Unicode');
  }
  // Path = "<" Mailbox ">" must fit in MAX_PATH_OCTETS (RFC 5321 §4.5.3.1.3).
  if (address.length + 2 > MAX_PATH_OCTETS || utf8Length(address) + 2 > MAX_PATH_OCTETS) {
    throw usageError(ErrorCodes.INVALID_ADDRESS, field, `is longer than ${MAX_PATH_OCTETS - 2} octets`);
  }
  const at = scanLocalPart(address, !ascii);
  if (at < 0 || address.charCodeAt(at) !== 0x40) {
    throw usageError(ErrorCodes.INVALID_ADDRESS, field, 'has no valid local part followed by @');
  }
  const localPart = address.slice(0, at);
  const domain = address.slice(at + 1);
  if (utf8Length(localPart) > MAX_LOCAL_PART_OCTETS) {
    throw usageError(
      ErrorCodes.INVALID_ADDRESS,
      field,
      `local part is longer than ${MAX_LOCAL_PART_OCTETS} octets`,
    );
  }
  // The domain's own limit (MAX_DOMAIN_OCTETS, RFC 5321 §4.5.3.1.2) needs no check here: the path
  // limit above leaves it at most MAX_PATH_OCTETS - 4 octets (`<`, `>`, a local part, `@`); a test
  // holds the two limits to that.
  if (!isDomain(domain, !ascii) && !isAddressLiteral(domain)) {
    throw usageError(ErrorCodes.INVALID_ADDRESS, field, 'domain is not a domain name or address literal');
  }
  return Object.freeze({ localPart, domain });
}

/**
 * RFC 5321 §4.1.1.3: `RCPT TO:<Postmaster>` (no domain, any case) is a valid recipient that every
 * server must accept (§4.5.1): the postmaster of the server itself. For RCPT only.
 */
export function isBarePostmaster(address: string): boolean {
  return address.length === 10 && address.toLowerCase() === 'postmaster';
}

/**
 * Validates a forward-path (RCPT): a mailbox, or the bare `Postmaster` (§4.1.1.3). Throws
 * SmtpUsageError.
 */
export function validateRecipient(address: string, field: string, options: { smtputf8: boolean }): void {
  if (isBarePostmaster(address)) return;
  parseAddress(address, field, { allowNull: false, smtputf8: options.smtputf8 });
}

/** Validates an envelope address (without angle brackets; '' is the null sender). Throws SmtpUsageError. */
export function validateAddress(
  address: string,
  field: string,
  options: { allowNull: boolean; smtputf8: boolean },
): void {
  parseAddress(address, field, options);
}
