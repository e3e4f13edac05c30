/**
 * The command encoder: the single choke point that turns typed commands into wire lines (RFC 5321
 * §4.1.1 verbs, §4.5.3.1.4 line limit; RFC 1870 SIZE, RFC 6152/3030 BODY and BDAT, RFC 6531
 * SMTPUTF8, RFC 4954 §4 AUTH). Every field is checked before a byte exists; errors never echo values.
 */
import { ErrorCodes } from '../errors/codes.js';
import {
  hasControlCharacter,
  isAddressLiteral,
  isAscii,
  isDomain,
  parseAddress,
  usageError,
  utf8Length,
  validateRecipient,
} from './address.js';
import { SASL_MECHANISM } from './capabilities.js';
import { MAX_COMMAND_LINE_OCTETS, MAX_DOMAIN_OCTETS, MAX_SASL_RESPONSE_LINE_OCTETS } from './limits.js';

export { isAscii, validateAddress } from './address.js';

export type Command =
  | { verb: 'EHLO'; domain: string }
  | { verb: 'HELO'; domain: string }
  | { verb: 'STARTTLS' }
  | { verb: 'AUTH'; mechanism: string; initialResponse?: string } // initialResponse: base64 text or '='
  | { verb: 'AUTH_RESPONSE'; data: string } // a bare SASL continuation line (base64 or '*')
  | {
      verb: 'MAIL';
      from: string;
      size?: number;
      body?: '7BIT' | '8BITMIME' | 'BINARYMIME';
      smtputf8?: boolean;
    }
  | { verb: 'RCPT'; to: string; smtputf8?: boolean }
  | { verb: 'DATA' }
  | { verb: 'BDAT'; size: number; last: boolean }
  | { verb: 'RSET' }
  | { verb: 'NOOP' }
  | { verb: 'QUIT' };

// RFC 4954 §4: AUTH_RESPONSE lines may be up to MAX_SASL_RESPONSE_LINE_OCTETS; the AUTH command
// itself stays "subject to the line length limitations defined in [SMTP]" (512).
export { MAX_SASL_RESPONSE_LINE_OCTETS } from './limits.js';

const CRLF_OCTETS = 2;
const BODY_TYPES: ReadonlySet<unknown> = new Set(['7BIT', '8BITMIME', 'BINARYMIME']);
/** RFC 4954 §4 base64 (RFC 4648 §4 alphabet, padded): groups of four, an optional padded final group. */
export const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const encoder = new TextEncoder();

/** Validates every field and returns the wire bytes (ending in CRLF). Throws SmtpUsageError naming the field. */
export function encodeCommand(command: Command): Uint8Array {
  return encoder.encode(`${commandLine(command)}\r\n`);
}

/**
 * A flight of commands as one buffer: each line validated as by encodeCommand, then one encode.
 * `shared`: a view of the process-wide slab below, for a writer that neither keeps, changes nor
 * transfers what it is handed (createClient's connection); otherwise, and always for a credential,
 * a buffer of its own — another view's `.buffer` would show or detach every session's flights.
 */
export function encodeCommands(commands: readonly Command[], shared = false): Uint8Array {
  let text = '';
  for (const command of commands) text += `${commandLine(command)}\r\n`;
  return shared ? encodeFlight(text) : encoder.encode(text);
}

/**
 * Flights are encoded into views of a shared slab (as Node's Buffer pool hands out small buffers):
 * a fresh ArrayBuffer per flight cost more than encoding it (bench/README.md). A view's octets are
 * never handed out twice: the slab is only ever appended to, and replaced when full.
 */
const SLAB_OCTETS = 8192;
/** Text up to this many UTF-16 units fits the slab however it encodes (at most 3 octets per unit). */
const SLAB_TEXT_UNITS = 1024;
let slab = new Uint8Array(SLAB_OCTETS);
let slabUsed = 0;

/** `encoder.encode(text)`, the same octets, in a view of the slab when the text is short. */
function encodeFlight(text: string): Uint8Array {
  if (text.length > SLAB_TEXT_UNITS) return encoder.encode(text);
  // Full, or detached by a transfer despite the rule above: a fresh slab.
  if (slabUsed + 3 * text.length > SLAB_OCTETS || slab.byteLength === 0) {
    slab = new Uint8Array(SLAB_OCTETS);
    slabUsed = 0;
  }
  const start = slabUsed;
  const { read, written } = encoder.encodeInto(text, slab.subarray(start));
  if (read !== text.length) return encoder.encode(text); // unreachable: 3 octets per unit always fit
  slabUsed = start + written;
  return slab.subarray(start, slabUsed);
}

/** The same validation as encodeCommand without building bytes (used before any byte is written). */
export function validateCommand(command: Command): void {
  commandLine(command);
}

/** Builds and length-checks the line without CRLF; both exported functions go through here. */
function commandLine(command: Command): string {
  if (typeof command !== 'object' || command === null) {
    throw usageError(ErrorCodes.INVALID_ARGUMENT, 'command', 'must be an object');
  }
  const line = unlimitedLine(command);
  const cap = command.verb === 'AUTH_RESPONSE' ? MAX_SASL_RESPONSE_LINE_OCTETS : MAX_COMMAND_LINE_OCTETS;
  // The line is ASCII unless SMTPUTF8 let an address through, so utf8Length is usually just .length.
  if (line.length + CRLF_OCTETS > cap || utf8Length(line) + CRLF_OCTETS > cap) {
    const field = command.verb === 'AUTH' || command.verb === 'AUTH_RESPONSE' ? 'auth.data' : 'command';
    throw usageError(ErrorCodes.COMMAND_TOO_LONG, field, `line exceeds ${cap} octets`);
  }
  return line;
}

function unlimitedLine(command: Command): string {
  switch (command.verb) {
    case 'EHLO':
    case 'HELO':
      return `${command.verb} ${clientDomain(command.domain)}`;
    case 'STARTTLS':
    case 'DATA':
    case 'RSET':
    case 'NOOP':
    case 'QUIT':
      return command.verb;
    case 'AUTH':
      return authLine(command.mechanism, command.initialResponse);
    case 'AUTH_RESPONSE':
      return saslData(command.data, 'auth.data', ['*', '']);
    case 'MAIL':
      return mailLine(command);
    case 'RCPT': {
      const utf8 = flag(command.smtputf8, 'smtputf8');
      validateRecipient(command.to, 'to', { smtputf8: utf8 });
      return `RCPT TO:<${command.to}>`;
    }
    case 'BDAT':
      if (typeof command.last !== 'boolean') {
        throw usageError(ErrorCodes.INVALID_ARGUMENT, 'bdat.last', 'must be a boolean');
      }
      return `BDAT ${octetCount(command.size, 'bdat.size')}${command.last ? ' LAST' : ''}`;
    default:
      throw usageError(ErrorCodes.INVALID_ARGUMENT, 'verb', 'is not a known command');
  }
}

/** RFC 5321 §4.1.1.1: ehlo = "EHLO" SP ( Domain / address-literal ). Always ASCII: sent before SMTPUTF8 is known. */
function clientDomain(domain: unknown): string {
  const field = 'clientName';
  if (typeof domain !== 'string') throw usageError(ErrorCodes.INVALID_ARGUMENT, field, 'must be a string');
  if (hasControlCharacter(domain)) {
    throw usageError(ErrorCodes.CONTROL_CHARACTER, field, 'contains a control character');
  }
  if (!isAscii(domain)) {
    throw usageError(ErrorCodes.NON_ASCII_WITHOUT_SMTPUTF8, field, 'must be ASCII (use the A-label form)');
  }
  if (domain.length > MAX_DOMAIN_OCTETS || !(isDomain(domain, false) || isAddressLiteral(domain))) {
    throw usageError(ErrorCodes.INVALID_ARGUMENT, field, 'is not a domain name or address literal');
  }
  return domain;
}

/** RFC 4954 §4: "AUTH" SP sasl-mech [SP initial-response]; initial-response = base64 / "=". */
function authLine(mechanism: unknown, initialResponse: unknown): string {
  const field = 'auth.mechanism';
  if (typeof mechanism !== 'string') throw usageError(ErrorCodes.INVALID_ARGUMENT, field, 'must be a string');
  if (hasControlCharacter(mechanism)) {
    throw usageError(ErrorCodes.CONTROL_CHARACTER, field, 'contains a control character');
  }
  if (!SASL_MECHANISM.test(mechanism)) {
    throw usageError(ErrorCodes.INVALID_ARGUMENT, field, 'must be 1-20 characters of A-Z 0-9 - _');
  }
  if (initialResponse === undefined) return `AUTH ${mechanism}`;
  return `AUTH ${mechanism} ${saslData(initialResponse, 'auth.data', ['='])}`;
}

/** Base64 SASL data, or one of the listed special tokens ('=' empty initial response, '*' cancel, '' empty). */
function saslData(data: unknown, field: string, specials: readonly string[]): string {
  if (typeof data !== 'string') throw usageError(ErrorCodes.INVALID_ARGUMENT, field, 'must be a string');
  if (hasControlCharacter(data)) {
    throw usageError(ErrorCodes.CONTROL_CHARACTER, field, 'contains a control character');
  }
  if (specials.includes(data)) return data;
  if (data === '' || !BASE64.test(data)) {
    throw usageError(ErrorCodes.INVALID_ARGUMENT, field, `must be base64 or one of ${specials.join(' ')}`);
  }
  return data;
}

/** RFC 5321 §4.1.1.2 MAIL FROM:<reverse-path> with RFC 1870 SIZE=, RFC 6152/3030 BODY=, RFC 6531 SMTPUTF8. */
function mailLine(command: Extract<Command, { verb: 'MAIL' }>): string {
  const utf8 = flag(command.smtputf8, 'smtputf8');
  parseAddress(command.from, 'from', { allowNull: true, smtputf8: utf8 });
  let line = `MAIL FROM:<${command.from}>`;
  if (command.size !== undefined) line += ` SIZE=${octetCount(command.size, 'size')}`;
  if (command.body !== undefined) {
    if (!BODY_TYPES.has(command.body)) {
      throw usageError(ErrorCodes.INVALID_ARGUMENT, 'body', 'must be 7BIT, 8BITMIME or BINARYMIME');
    }
    line += ` BODY=${command.body}`;
  }
  return utf8 ? `${line} SMTPUTF8` : line;
}

function flag(value: unknown, field: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw usageError(ErrorCodes.INVALID_ARGUMENT, field, 'must be a boolean');
  return value;
}

/** Numeric parameters are numbers, checked at run time too: a JS caller's string never reaches the line. */
function octetCount(value: unknown, field: string): string {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw usageError(ErrorCodes.INVALID_ARGUMENT, field, 'must be a non-negative safe integer');
  }
  return String(value); // String(-0) is '0'
}
