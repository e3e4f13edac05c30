/**
 * Base64 (RFC 4648 §4, padded) over Uint8Array for SASL payloads (RFC 4954 §4), without Buffer so
 * that the session stays free of Node globals. Decoding is strict: anything not canonical is refused.
 */

import { BASE64 } from '../protocol/command.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const utf8 = new TextEncoder();

export function encodeBase64(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i]!;
    const b = bytes[i + 1];
    const c = bytes[i + 2];
    out += ALPHABET[a >> 2]!;
    out += ALPHABET[((a & 0x03) << 4) | ((b ?? 0) >> 4)]!;
    out += b === undefined ? '=' : ALPHABET[((b & 0x0f) << 2) | ((c ?? 0) >> 6)]!;
    out += c === undefined ? '=' : ALPHABET[c & 0x3f]!;
  }
  return out;
}

/** UTF-8 encodes `text`, then base64. */
export function encodeBase64Text(text: string): string {
  return encodeBase64(utf8.encode(text));
}

/** The bytes of canonical padded base64 `text`, or undefined when it is not base64. */
export function decodeBase64(text: string): Uint8Array | undefined {
  if (!BASE64.test(text)) return undefined;
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((text.length / 4) * 3 - padding);
  let bits = 0;
  let value = 0;
  let index = 0;
  for (const char of text) {
    if (char === '=') break;
    value = (value << 6) | ALPHABET.indexOf(char);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[index++] = (value >> bits) & 0xff;
    }
  }
  // Non-zero leftover bits mean a non-canonical encoding (two texts for one value): refuse it.
  if ((value & ((1 << bits) - 1)) !== 0) return undefined;
  return out;
}
