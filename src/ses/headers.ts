/**
 * SES control headers: `X-SES-CONFIGURATION-SET` and `X-SES-MESSAGE-TAGS` (SES removes both before
 * delivery). Inputs are checked against SES's character rules, so no value can inject a header
 * (RFC 5322 §2.2: a header field is one unfolded line).
 */

import { ErrorCodes } from '../errors/codes.js';
import { SmtpUsageError } from '../errors/smtp-error.js';
import { MAX_TEXT_LINE_OCTETS } from '../protocol/limits.js';

export interface SesHeader {
  readonly name: string;
  readonly value: string;
}

// SES API reference, ConfigurationSet.Name: letters, digits, '_' and '-', 64 characters or fewer.
const CONFIGURATION_SET_NAME = /^[A-Za-z0-9_-]{1,64}$/;
// SES API reference, MessageTag: the same characters. The limit is "256 or fewer" on current pages
// and "less than 256" on older ones: take the stricter.
const TAG_PART = /^[A-Za-z0-9_-]{1,255}$/;
/** SES's quota on message tags per message. */
export const SES_MAX_MESSAGE_TAGS = 50;

export const SES_CONFIGURATION_SET_HEADER = 'X-SES-CONFIGURATION-SET';
export const SES_MESSAGE_TAGS_HEADER = 'X-SES-MESSAGE-TAGS';

export function sesConfigurationSetHeader(name: string): SesHeader {
  if (typeof name !== 'string' || !CONFIGURATION_SET_NAME.test(name)) {
    throw usage('configurationSet', 'configuration set name must be 1-64 characters of A-Z a-z 0-9 _ -');
  }
  return { name: SES_CONFIGURATION_SET_HEADER, value: name };
}

/** `k1=v1, k2=v2` in the object's key order. Throws SmtpUsageError for an empty, bad or oversized set. */
export function sesMessageTagsHeader(tags: Readonly<Record<string, string>>): SesHeader {
  if (typeof tags !== 'object' || tags === null || Array.isArray(tags)) {
    throw usage('tags', 'message tags must be an object');
  }
  const entries = Object.entries(tags);
  if (entries.length === 0 || entries.length > SES_MAX_MESSAGE_TAGS) {
    throw usage('tags', `give 1-${SES_MAX_MESSAGE_TAGS} message tags`);
  }
  for (const [key, value] of entries) {
    if (!TAG_PART.test(key)) throw usage('tags', 'tag names must be 1-255 characters of A-Z a-z 0-9 _ -');
    if (typeof value !== 'string' || !TAG_PART.test(value)) {
      throw usage(`tags.${key}`, 'tag values must be 1-255 characters of A-Z a-z 0-9 _ -');
    }
  }
  const value = entries.map(([key, tagValue]) => `${key}=${tagValue}`).join(', ');
  // We do not fold: the whole field must fit one line (RFC 5322 §2.1.1).
  if (SES_MESSAGE_TAGS_HEADER.length + 2 + value.length > MAX_TEXT_LINE_OCTETS) {
    throw usage('tags', `message tags must fit one ${MAX_TEXT_LINE_OCTETS}-octet header line`);
  }
  return { name: SES_MESSAGE_TAGS_HEADER, value };
}

function usage(field: string, message: string): SmtpUsageError {
  return new SmtpUsageError({ code: ErrorCodes.INVALID_ARGUMENT, field, message });
}
