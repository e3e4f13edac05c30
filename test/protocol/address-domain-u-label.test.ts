import { describe, expect, it } from 'vitest';
import { isDomain } from '../../src/protocol/address.js';

// isDomain's second argument says whether U-labels (RFC 6531 §3.3) are allowed. Without it a domain is
// LDH ASCII only (RFC 5321 §4.1.2): defaultClientName relies on this to keep a non-ASCII host name
// out of EHLO.
describe('isDomain: U-labels only when allowed', () => {
  it.each(['bücher.example', '例子.广告', 'a.ü'])(
    '%j is a domain with U-labels allowed, not without',
    (name) => {
      expect(isDomain(name, true)).toBe(true);
      expect(isDomain(name, false)).toBe(false);
    },
  );
});
