/**
 * EHLO reply → capabilities (RFC 5321 §4.1.1.1 ehlo-line grammar), keyword by keyword and line by line;
 * extensions: SIZE (RFC 1870), PIPELINING (2920), 8BITMIME (6152), SMTPUTF8 (6531), STARTTLS (3207),
 * AUTH (4954), CHUNKING/BINARYMIME (3030), DSN (3461), ENHANCEDSTATUSCODES (2034), REQUIRETLS (8689).
 */
import type { Reply } from './reply-types.js';

export interface Capabilities {
  /** SIZE n (0 = no fixed limit, also for `SIZE` alone or a non-numeric value); undefined when not offered. */
  readonly size: number | undefined;
  readonly pipelining: boolean;
  readonly eightBitMime: boolean;
  readonly smtpUtf8: boolean;
  readonly startTls: boolean;
  /** Upper-case SASL mechanisms, deduplicated, from `AUTH a b` and the pre-standard `AUTH=a b` lines. */
  readonly auth: readonly string[];
  readonly chunking: boolean;
  readonly binaryMime: boolean;
  readonly dsn: boolean;
  readonly enhancedStatusCodes: boolean;
  readonly requireTls: boolean;
  /** Every keyword (upper-case) → its params. A repeated keyword keeps its first params, except AUTH (union). */
  readonly keywords: ReadonlyMap<string, readonly string[]>;
}

// RFC 5321 §4.1.1.1: ehlo-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-"); ehlo-param = 1*(%d33-126).
const KEYWORD = /^[A-Za-z0-9][A-Za-z0-9-]*$/;
const PARAM = /^[\x21-\x7e]+$/;
/** Anything but SP and %d33-126: a line holding one (control character, non-ASCII) is skipped. */
const OUTSIDE_GRAMMAR = /[^\x20-\x7e]/;
/** The pre-standard form some servers still send beside `AUTH` (e.g. `AUTH=PLAIN LOGIN`). */
const OLD_AUTH = /^AUTH=/i;
/** RFC 4422 §3.1: sasl-mech = 1*20mech-char, mech-char = UPPER-ALPHA / DIGIT / "-" / "_". */
export const SASL_MECHANISM = /^[A-Z0-9_-]{1,20}$/;
/** Larger SIZE values cannot be held exactly; they are no usable limit, i.e. 0. */
const MAX_SIZE_DIGITS = 15;

export const NO_CAPABILITIES: Capabilities = makeCapabilities(new Map());

/** Capabilities from an EHLO reply. The first line is the server's domain and greeting, and is skipped. */
export function parseEhloReply(reply: Reply): Capabilities {
  const keywords = new Map<string, string[]>();
  // SASL mechanism names are case-insensitive (RFC 4422 §3.1): upper-cased, each once, first-seen
  // order, over every AUTH line — in one set, so that a reply of many AUTH lines costs linear time.
  const mechanisms = new Set<string>();
  for (const line of reply.lines.slice(1)) {
    const parsed = parseLine(line);
    if (parsed === undefined) continue;
    const [keyword, params] = parsed;
    if (keyword === 'AUTH') {
      for (const param of params) mechanisms.add(param.toUpperCase());
      if (!keywords.has(keyword)) keywords.set(keyword, []);
    } else if (!keywords.has(keyword)) keywords.set(keyword, params);
  }
  if (keywords.has('AUTH')) keywords.set('AUTH', [...mechanisms]);
  return makeCapabilities(keywords);
}

/** `keyword *(SP param)` → [KEYWORD, params], or undefined for a line outside the grammar. */
function parseLine(line: string): [string, string[]] | undefined {
  if (OUTSIDE_GRAMMAR.test(line)) return undefined;
  const tokens = line.split(' ').filter((token) => token !== '');
  let first = tokens[0];
  if (first === undefined) return undefined;
  if (OLD_AUTH.test(first)) {
    const rest = first.slice('AUTH='.length);
    tokens.splice(0, 1, ...(rest === '' ? [] : [rest]));
    first = 'AUTH';
  } else {
    tokens.shift();
  }
  if (!KEYWORD.test(first) || !tokens.every((param) => PARAM.test(param))) return undefined;
  return [first.toUpperCase(), tokens];
}

function makeCapabilities(keywords: Map<string, string[]>): Capabilities {
  const has = (keyword: string): boolean => keywords.has(keyword);
  return Object.freeze({
    size: sizeOf(keywords.get('SIZE')),
    pipelining: has('PIPELINING'),
    eightBitMime: has('8BITMIME'),
    smtpUtf8: has('SMTPUTF8'),
    startTls: has('STARTTLS'),
    auth: mechanismsOf(keywords.get('AUTH')),
    chunking: has('CHUNKING'),
    binaryMime: has('BINARYMIME'),
    dsn: has('DSN'),
    enhancedStatusCodes: has('ENHANCEDSTATUSCODES'),
    requireTls: has('REQUIRETLS'),
    keywords: freezeMap(keywords),
  });
}

/** RFC 1870 §3 (3): `SIZE [number]`; absent or 0 means no fixed maximum. */
function sizeOf(params: readonly string[] | undefined): number | undefined {
  if (params === undefined) return undefined;
  const value = params[0];
  if (value === undefined || !/^[0-9]+$/.test(value) || value.length > MAX_SIZE_DIGITS) return 0;
  return Number(value);
}

function mechanismsOf(params: readonly string[] | undefined): readonly string[] {
  return Object.freeze((params ?? []).filter((mechanism) => SASL_MECHANISM.test(mechanism)));
}

/** A map whose params arrays are frozen and whose mutators throw: capabilities are shared read-only. */
function freezeMap(source: Map<string, string[]>): ReadonlyMap<string, readonly string[]> {
  const map = new Map<string, readonly string[]>();
  for (const [keyword, params] of source) map.set(keyword, Object.freeze([...params]));
  const refuse = (): never => {
    throw new TypeError('Capabilities are read-only');
  };
  Object.defineProperties(map, {
    set: { value: refuse },
    delete: { value: refuse },
    clear: { value: refuse },
  });
  return Object.freeze(map);
}
