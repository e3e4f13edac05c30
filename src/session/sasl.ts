/**
 * SASL client payloads for SMTP AUTH (RFC 4954 §4): PLAIN (RFC 4616), LOGIN (draft-murchison-sasl-login),
 * XOAUTH2 (Google's profile of RFC 6749 bearer tokens) and CRAM-MD5 (RFC 2195, HMAC injected).
 */
import type { Command } from '../protocol/command.js';
import { MAX_COMMAND_LINE_OCTETS } from '../protocol/limits.js';
import { decodeBase64, encodeBase64Text } from './base64.js';

export type Mechanism = 'PLAIN' | 'LOGIN' | 'XOAUTH2' | 'CRAM-MD5';
export const MECHANISMS: readonly Mechanism[] = ['PLAIN', 'LOGIN', 'XOAUTH2', 'CRAM-MD5'];

export interface Credentials {
  readonly user: string;
  /** The password, or the OAuth2 access token for XOAUTH2. */
  readonly pass: string;
  readonly method?: Mechanism | undefined;
}

export type HmacMd5 = (key: Uint8Array, data: Uint8Array) => Uint8Array;

/** RFC 4954 §4: the client may cancel an exchange at any challenge with a line holding one '*'. */
export const CANCEL = '*';

/** Where an exchange stands: the mechanism, and an initial response deferred because it was too long. */
export interface AuthExchange {
  readonly mechanism: Mechanism;
  readonly deferred: string | undefined;
  /** 334 challenges answered so far (bounded by the session: AUTH_CHALLENGE_LIMIT). */
  readonly challenges: number;
  /**
   * The lines answering them that no fixed credential form covers (a CRAM-MD5 response: the user
   * name and an HMAC of the password, one per challenge): scrubbed as credentials while authenticating.
   */
  readonly sent: readonly string[];
}

const utf8 = new TextEncoder();

/**
 * The configured method when the server offers it; otherwise the strongest offered: CRAM-MD5 (only
 * with an injected HMAC: it never sends the password), then PLAIN, then LOGIN. XOAUTH2 takes a token,
 * not a password, so it is used only when configured.
 */
export function chooseMechanism(
  offered: readonly string[],
  credentials: Credentials,
  hmacMd5: HmacMd5 | undefined,
): Mechanism | undefined {
  if (credentials.method !== undefined) {
    const usable = credentials.method !== 'CRAM-MD5' || hmacMd5 !== undefined;
    return usable && offered.includes(credentials.method) ? credentials.method : undefined;
  }
  const preference: readonly Mechanism[] = hmacMd5 ? ['CRAM-MD5', 'PLAIN', 'LOGIN'] : ['PLAIN', 'LOGIN'];
  return preference.find((mechanism) => offered.includes(mechanism));
}

/**
 * The AUTH command that opens the exchange. RFC 4954 §4: an initial response that would push the
 * command past 512 octets is sent instead as the answer to the server's empty 334.
 */
export function startAuth(
  mechanism: Mechanism,
  credentials: Credentials,
): { command: Command; exchange: AuthExchange } {
  const initial = initialResponse(mechanism, credentials);
  const fits = initial !== undefined && `AUTH ${mechanism} ${initial}\r\n`.length <= MAX_COMMAND_LINE_OCTETS;
  const command: Command =
    initial !== undefined && fits
      ? { verb: 'AUTH', mechanism, initialResponse: initial }
      : { verb: 'AUTH', mechanism };
  return { command, exchange: { mechanism, deferred: fits ? undefined : initial, challenges: 0, sent: [] } };
}

/** The line answering one more 334 `challenge` (its text, base64). Returns CANCEL when nothing fits. */
export function answerChallenge(
  exchange: AuthExchange,
  challenge: string,
  credentials: Credentials,
  hmacMd5: HmacMd5 | undefined,
): string {
  const round = exchange.challenges + 1;
  if (exchange.deferred !== undefined) {
    if (round === 1) return exchange.deferred;
    return exchange.mechanism === 'XOAUTH2' ? '' : CANCEL;
  }
  switch (exchange.mechanism) {
    case 'LOGIN':
      // Prompts are "Username:" then "Password:" (SES: 334 VXNlcm5hbWU6 / UGFzc3dvcmQ6); servers
      // word them differently, so the order decides (as MS-XLOGIN §3.1.5.1 allows).
      if (round === 1) return encodeBase64Text(credentials.user);
      if (round === 2) return encodeBase64Text(credentials.pass);
      return CANCEL;
    case 'CRAM-MD5':
      return round === 1 ? cramMd5Response(challenge, credentials, hmacMd5) : CANCEL;
    case 'XOAUTH2':
      // A 334 after the token carries a JSON error; the profile says to answer with an empty line,
      // after which the server sends the final 5xx.
      return '';
    case 'PLAIN':
      return CANCEL;
  }
}

function initialResponse(mechanism: Mechanism, credentials: Credentials): string | undefined {
  switch (mechanism) {
    case 'PLAIN':
      return plainResponse(credentials);
    case 'XOAUTH2':
      return xoauth2Response(credentials);
    default:
      return undefined;
  }
}

/** RFC 4616 §2: [authzid] NUL authcid NUL passwd, UTF-8, base64; no authzid. */
export const plainResponse = ({ user, pass }: Credentials): string =>
  encodeBase64Text(`\u0000${user}\u0000${pass}`);

/** Google's XOAUTH2 initial response, base64. */
export const xoauth2Response = ({ user, pass }: Credentials): string =>
  encodeBase64Text(`user=${user}\u0001auth=Bearer ${pass}\u0001\u0001`);

/** RFC 2195 §2: base64(user SP lowercase-hex(HMAC-MD5(key = password, challenge))). */
function cramMd5Response(challenge: string, credentials: Credentials, hmacMd5: HmacMd5 | undefined): string {
  const data = decodeBase64(challenge.trim());
  if (data === undefined || data.length === 0 || hmacMd5 === undefined) return CANCEL;
  const digest = hmacMd5(utf8.encode(credentials.pass), data);
  const hex = Array.from(digest, (byte) => byte.toString(16).padStart(2, '0')).join('');
  return encodeBase64Text(`${credentials.user} ${hex}`);
}
