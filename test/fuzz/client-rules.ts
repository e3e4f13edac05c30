/**
 * The rules the fuzz server (fuzz-server.ts) holds the client to on the wire, from what it sees and
 * what it answered: only what the current EHLO offered (RFC 5321 §4.1.1.1; after TLS only the
 * post-TLS EHLO's, RFC 3207 §4.2), PIPELINING (RFC 2920), BINARYMIME only over BDAT and unchanged
 * (RFC 3030 §3), and STARTTLS's (threats.md §1): nothing but STARTTLS/EHLO/QUIT in plaintext when TLS
 * is required, no AUTH in plaintext, AUTH before MAIL when credentials are configured.
 */
import { type Capabilities, NO_CAPABILITIES, parseEhloReply } from '../../src/protocol/capabilities.js';
import type { Security } from '../../src/session/types.js';

const COMMANDS = new Set([
  'EHLO',
  'HELO',
  'STARTTLS',
  'AUTH',
  'MAIL',
  'RCPT',
  'DATA',
  'BDAT',
  'RSET',
  'NOOP',
  'QUIT',
]);
/** What a client may write before TLS when TLS is required (RFC 3207 §4; threats.md §1: no stripping). */
const BEFORE_TLS = new Set(['EHLO', 'STARTTLS', 'QUIT']);
/** Commands that need a positive EHLO/HELO first (RFC 5321 §4.1.4), again after TLS (RFC 3207 §4.2). */
const AFTER_GREETING = new Set(['AUTH', 'MAIL', 'RCPT', 'DATA', 'BDAT', 'RSET']);

export const verbOf = (line: string): string => line.split(' ')[0]?.toUpperCase() ?? '';

/** The capabilities a 2xx reply to EHLO announces, parsed as the client parses them. */
function announced(sent: string): Capabilities | undefined {
  if (!/^2/.test(sent)) return undefined;
  const lines = sent
    .split('\r\n')
    .filter((line) => line !== '')
    .map((line) => line.slice(4));
  return parseEhloReply({ code: Number(sent.slice(0, 3)), lines });
}

export interface RulesOptions {
  readonly security: Security;
  /** The client was given credentials. */
  readonly withAuth: boolean;
  /** The binary messages, latin1: a BODY=BINARYMIME body must be one of them, octet for octet. */
  readonly binaryBodies: ReadonlySet<string>;
  readonly violation: (what: string) => void;
}

/** One connection's view of the client: what it was offered and told, in the current TLS state. */
export class ClientRules {
  readonly #options: RulesOptions;
  #secure = false;
  /** What the last positive EHLO (HELO: nothing) announced. */
  #caps: Capabilities = NO_CAPABILITIES;
  #greeted = false;
  /** An AUTH exchange is under way; it ended with 235 (RFC 4954 §6). */
  #authenticating = false;
  #authenticated = false;
  /** The transaction's MAIL said BODY=BINARYMIME. */
  #mailBinary = false;
  /** Commands taken from the current read (more than one: the client pipelined). */
  #commandsThisRead = 0;

  constructor(options: RulesOptions) {
    this.#options = options;
  }

  get mailBinary(): boolean {
    return this.#mailBinary;
  }

  /** A new read from the client (commands in one read were pipelined). */
  read(): void {
    this.#commandsThisRead = 0;
  }

  /** RFC 3207 §4.2: after the handshake, everything learnt before it is forgotten. */
  tlsUp(): void {
    this.#secure = true;
    this.#caps = NO_CAPABILITIES;
    this.#greeted = false;
    this.#authenticating = false;
    this.#authenticated = false;
    this.#mailBinary = false;
  }

  /** The rules a command line breaks. */
  command(line: string): void {
    const verb = verbOf(line);
    if (!COMMANDS.has(verb)) return; // an AUTH response line
    const violation = this.#options.violation;
    const security = this.#options.security;
    const caps = this.#caps;
    const plain = !this.#secure;
    this.#commandsThisRead++;
    if (this.#commandsThisRead > 1 && !caps.pipelining) violation(`${verb} pipelined without PIPELINING`);
    if (!plain && !this.#greeted && verb !== 'EHLO' && verb !== 'QUIT')
      violation(`${verb} after TLS before EHLO (RFC 3207 §4.2)`);
    if (plain && security === 'starttls' && !BEFORE_TLS.has(verb))
      violation(`${verb} in plaintext with security 'starttls'`);
    if (plain && security !== 'none' && verb === 'AUTH') violation('AUTH in plaintext');
    if (AFTER_GREETING.has(verb) && !this.#greeted) violation(`${verb} before a positive EHLO/HELO`);
    switch (verb) {
      case 'STARTTLS':
        if (security === 'none') violation("STARTTLS with security 'none'");
        if (!plain) violation('STARTTLS over TLS (RFC 3207 §4.2)');
        else if (!caps.startTls) violation('STARTTLS not offered');
        break;
      case 'AUTH':
        if (caps.auth.length === 0) violation('AUTH not offered');
        break;
      case 'BDAT':
        if (!caps.chunking) violation('BDAT without CHUNKING');
        break;
      case 'DATA':
        // RFC 3030 §3: BODY=BINARYMIME cannot be used with DATA (a server answers 503).
        if (this.#mailBinary) violation('DATA after BODY=BINARYMIME');
        break;
      case 'MAIL': {
        // Credentials configured: the client authenticates before any transaction (never skips AUTH).
        if (this.#options.withAuth && !this.#authenticated) violation('MAIL without AUTH');
        const upper = line.toUpperCase();
        this.#mailBinary = upper.includes(' BODY=BINARYMIME');
        if (this.#mailBinary && !(caps.chunking && caps.binaryMime))
          violation('BODY=BINARYMIME without CHUNKING and BINARYMIME');
        if (upper.includes(' BODY=8BITMIME') && !caps.eightBitMime) violation('BODY=8BITMIME not offered');
        if (upper.includes(' SIZE=') && caps.size === undefined) violation('SIZE= not offered');
        if (upper.includes(' SMTPUTF8') && !caps.smtpUtf8) violation('SMTPUTF8 not offered');
        break;
      }
      case 'RSET':
        this.#mailBinary = false;
        break;
    }
  }

  /** A whole body (it ends the transaction): binary octets only as BODY=BINARYMIME over BDAT, unchanged. */
  body(content: string, via: 'DATA' | 'BDAT'): void {
    const violation = this.#options.violation;
    const binary = content.includes('\0');
    if (via === 'DATA' && binary) violation('a binary body over DATA');
    if (via === 'BDAT' && binary && !this.#mailBinary) violation('a binary body without BODY=BINARYMIME');
    if (via === 'BDAT' && this.#mailBinary && !this.#options.binaryBodies.has(content))
      violation('a BODY=BINARYMIME body that is not the message, octet for octet');
  }

  /** The transaction ended (its final dot or LAST chunk was answered). */
  transactionEnded(): void {
    this.#mailBinary = false;
  }

  /** What the server answered to `verb` (null: nothing): the offer, the greeting, AUTH's outcome. */
  replied(verb: string | undefined, sent: string | null): void {
    if (verb === 'EHLO' && sent !== null) {
      const caps = announced(sent);
      if (caps !== undefined) {
        this.#caps = caps;
        this.#greeted = true;
      }
    }
    if (verb === 'HELO' && sent !== null && /^2/.test(sent)) {
      // RFC 5321 §4.1.1.1: HELO announces no extensions.
      this.#caps = NO_CAPABILITIES;
      this.#greeted = true;
    }
    if (verb === 'AUTH') this.#authenticating = true;
    if (this.#authenticating && sent !== null && !sent.startsWith('334')) {
      this.#authenticating = false;
      this.#authenticated = sent.startsWith('235');
    }
  }
}

/** Checks that every octet since the 220 to STARTTLS belongs to a TLS record (RFC 8446 §5.1). */
export class TlsRecords {
  #header: number[] = [];
  #left = 0;

  /** False at the first octet that cannot be part of a TLS record. */
  only(bytes: Uint8Array): boolean {
    for (let at = 0; at < bytes.length; ) {
      if (this.#left > 0) {
        const skip = Math.min(this.#left, bytes.length - at);
        at += skip;
        this.#left -= skip;
        continue;
      }
      this.#header.push(bytes[at++] ?? 0);
      if (this.#header.length < 5) continue;
      const [type = 0, major = 0, , high = 0, low = 0] = this.#header;
      this.#header = [];
      // change_cipher_spec, alert, handshake, application_data; legacy version 3.x.
      if (type < 0x14 || type > 0x17 || major !== 3) return false;
      this.#left = high * 256 + low;
    }
    return true;
  }
}
