/**
 * Quoted-printable body encoding (RFC 2045 §6.7): lines of at most 76 characters with soft
 * line breaks, hard line breaks kept as CRLF, trailing white space protected.
 */

const MAX_LINE = 76;
const HEX = '0123456789ABCDEF';

/** Encodes UTF-8 text; the input's line breaks (CRLF, LF or CR) become CRLF. */
export function encodeQuotedPrintable(text: string): string {
  const lines = text.split(/\r\n|\r|\n/);
  return lines.map(encodeLine).join('\r\n');
}

function encodeLine(line: string): string {
  const bytes = Buffer.from(line, 'utf8');
  const out: string[] = [];
  let current = '';
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i] as number;
    const isLast = i === bytes.length - 1;
    const literal = (byte >= 33 && byte <= 126 && byte !== 61) || ((byte === 32 || byte === 9) && !isLast);
    const token = literal ? String.fromCharCode(byte) : `=${HEX[byte >> 4]}${HEX[byte & 15]}`;
    // Keep room for the soft break '=' at the end of a wrapped line.
    if (current.length + token.length > MAX_LINE - 1) {
      out.push(`${current}=`);
      current = '';
    }
    current += token;
  }
  out.push(current);
  return out.join('\r\n');
}
