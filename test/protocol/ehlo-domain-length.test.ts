import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors/codes.js';
import { SmtpUsageError } from '../../src/errors/smtp-error.js';
import { encodeCommand } from '../../src/protocol/command.js';

/** A dotted domain of exactly `octets` octets (255 or 256), labels of at most 63. */
function domainOf(octets: 255 | 256): string {
  const label = 'a'.repeat(63);
  const domain =
    octets === 255
      ? [label, label, label, label].join('.')
      : [label, label, label, 'b'.repeat(62), 'c'].join('.');
  expect(domain).toHaveLength(octets);
  return domain;
}

// RFC 5321 §4.5.3.1.2: a domain is at most 255 octets; the EHLO line itself (well under 512) does not
// catch a name one octet too long.
describe('EHLO/HELO: the client name is at most 255 octets', () => {
  it.each(['EHLO', 'HELO'] as const)('%s takes a 255-octet name', (verb) => {
    const domain = domainOf(255);
    expect(new TextDecoder().decode(encodeCommand({ verb, domain }))).toBe(`${verb} ${domain}\r\n`);
  });

  it.each(['EHLO', 'HELO'] as const)('%s refuses a 256-octet name', (verb) => {
    let caught: unknown;
    try {
      encodeCommand({ verb, domain: domainOf(256) });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SmtpUsageError);
    expect(caught).toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT, field: 'clientName' });
  });
});
