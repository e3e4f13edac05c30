import { describe, expect, it } from 'vitest';
import { limits } from '../../src/index.js';

// The public `limits` namespace: every number against the source its doc comment cites. The code's own
// tests use the constants symbolically, so only this table notices a constant that moved by one.
describe('limits', () => {
  it('holds the RFC numbers', () => {
    expect(limits.MAX_LOCAL_PART_OCTETS).toBe(64); // RFC 5321 §4.5.3.1.1
    expect(limits.MAX_DOMAIN_OCTETS).toBe(255); // §4.5.3.1.2
    expect(limits.MAX_PATH_OCTETS).toBe(256); // §4.5.3.1.3
    expect(limits.MAX_COMMAND_LINE_OCTETS).toBe(512); // §4.5.3.1.4
    expect(limits.RFC_REPLY_LINE_OCTETS).toBe(512); // §4.5.3.1.5
    expect(limits.MAX_TEXT_LINE_OCTETS).toBe(1000 - 2); // §4.5.3.1.6: 1000 with CRLF
    expect(limits.MAX_SASL_RESPONSE_LINE_OCTETS).toBe(12_288); // RFC 4954 §4
  });

  it('a path within MAX_PATH_OCTETS always has a domain within MAX_DOMAIN_OCTETS (parseAddress checks only the path)', () => {
    // `<` local-part (at least one octet) `@` domain `>`
    expect(limits.MAX_PATH_OCTETS - 4).toBeLessThanOrEqual(limits.MAX_DOMAIN_OCTETS);
  });

  it('holds our caps, SES’s size limit and Node’s longest timer', () => {
    expect(limits.DEFAULT_MAX_REPLY_LINE_OCTETS).toBe(4096);
    expect(limits.DEFAULT_MAX_REPLY_OCTETS).toBe(65_536);
    expect(limits.DEFAULT_MAX_MESSAGE_OCTETS).toBe(10 * 1024 * 1024); // SES: `552 Message is too long.` above 10 MB
    expect(limits.MAX_TIMER_MS).toBe(2 ** 31 - 1); // a longer Node timer fires after 1 ms
  });
});
