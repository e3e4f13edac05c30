/**
 * RFC 2047 encoded words for non-ASCII header text (`=?UTF-8?B?...?=`), split on
 * character boundaries so each word stays within the 75-character limit (RFC 2047 §2).
 */

const MAX_ENCODED_WORD = 75;
const PREFIX = '=?UTF-8?B?';
const SUFFIX = '?=';
/** Base64 turns 3 bytes into 4 characters: the largest byte count whose encoding fits one word. */
const MAX_BYTES_PER_WORD = Math.floor((MAX_ENCODED_WORD - PREFIX.length - SUFFIX.length) / 4) * 3;

const encoder = new TextEncoder();

/** True when the text cannot go into a header as it is: non-ASCII, controls, or text that looks like an encoded word. */
export function needsEncodedWords(text: string): boolean {
  return /[^\x20-\x7e]/.test(text) || text.includes('=?');
}

/** Encodes the text as a list of encoded words (to be joined with folding white space). */
export function encodeWords(text: string): string[] {
  const words: string[] = [];
  let chunk = '';
  let chunkBytes = 0;
  for (const char of text) {
    const size = encoder.encode(char).length;
    if (chunkBytes + size > MAX_BYTES_PER_WORD && chunk !== '') {
      words.push(encodeWord(chunk));
      chunk = '';
      chunkBytes = 0;
    }
    chunk += char;
    chunkBytes += size;
  }
  if (chunk !== '' || words.length === 0) words.push(encodeWord(chunk));
  return words;
}

function encodeWord(text: string): string {
  return PREFIX + Buffer.from(text, 'utf8').toString('base64') + SUFFIX;
}
