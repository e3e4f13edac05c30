/**
 * Enhanced mail system status codes at the start of reply text (RFC 3463 §2, carried per
 * RFC 2034 §4): `class.subject.detail`, class 2/4/5 equal to the reply code's first digit.
 */
import type { EnhancedStatus } from './reply-types.js';

// RFC 3463 §2: class "." subject "." detail, subject and detail 1*3digit (ASCII digits only), followed
// by a space or the end of the text: /^([245])\.([0-9]{1,3})\.([0-9]{1,3})(?: |$)/, scanned by hand
// (one per reply read; a test holds the scan to that pattern).
const DOT = 0x2e;
const SPACE = 0x20;
const DIGIT_0 = 0x30;

/** The enhanced status code at the start of `text`, or undefined when absent, malformed or of another class. */
export function parseEnhancedStatus(code: number, text: string): EnhancedStatus | undefined {
  const klass = text.charCodeAt(0) - DIGIT_0;
  if ((klass !== 2 && klass !== 4 && klass !== 5) || text.charCodeAt(1) !== DOT) return undefined;
  const subjectEnd = digitsEnd(text, 2);
  if (subjectEnd < 0 || text.charCodeAt(subjectEnd) !== DOT) return undefined;
  const detailEnd = digitsEnd(text, subjectEnd + 1);
  if (detailEnd < 0 || (detailEnd < text.length && text.charCodeAt(detailEnd) !== SPACE)) return undefined;
  if (klass !== Math.trunc(code / 100)) return undefined;
  return Object.freeze({
    class: klass as EnhancedStatus['class'],
    subject: digitsValue(text, 2, subjectEnd),
    detail: digitsValue(text, subjectEnd + 1, detailEnd),
  });
}

/**
 * Where up to 3 ASCII digits from `start` end, or -1 for none. A fourth digit is left unread: the
 * character after the field must then be "." or a space, which it is not.
 */
function digitsEnd(text: string, start: number): number {
  let at = start;
  while (at < text.length && at - start < 3) {
    const digit = text.charCodeAt(at) - DIGIT_0;
    if (digit < 0 || digit > 9) break;
    at++;
  }
  return at > start ? at : -1;
}

function digitsValue(text: string, start: number, end: number): number {
  let value = 0;
  for (let at = start; at < end; at++) value = value * 10 + (text.charCodeAt(at) - DIGIT_0);
  return value;
}
