/**
 * Enhanced mail system status codes at the start of reply text (RFC 3463 §2, carried per
 * RFC 2034 §4): `class.subject.detail`, class 2/4/5 equal to the reply code's first digit.
 */
import type { EnhancedStatus } from './reply-types.js';

// RFC 3463 §2: class "." subject "." detail, subject and detail 1*3digit (ASCII digits: `[0-9]`,
// which is what `\d` means in JavaScript too). Must be followed by a space or the end of the text.
const ENHANCED_STATUS = /^([245])\.([0-9]{1,3})\.([0-9]{1,3})(?: |$)/;

/** The enhanced status code at the start of `text`, or undefined when absent, malformed or of another class. */
export function parseEnhancedStatus(code: number, text: string): EnhancedStatus | undefined {
  const match = ENHANCED_STATUS.exec(text);
  if (match === null) return undefined;
  const klass = Number(match[1]);
  if (klass !== Math.trunc(code / 100)) return undefined;
  return Object.freeze({
    class: klass as EnhancedStatus['class'],
    subject: Number(match[2]),
    detail: Number(match[3]),
  });
}
