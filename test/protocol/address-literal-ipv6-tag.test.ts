import { describe, expect, it } from 'vitest';
import { isAddressLiteral, validateAddress } from '../../src/protocol/address.js';

// RFC 5321 §4.1.3: IPv6-address-literal = "IPv6:" IPv6-addr. ABNF quoted strings are case-insensitive
// (RFC 5234 §2.3), so the tag may be written in any case.
describe('IPv6 address literal: the tag in any case', () => {
  it.each(['[IPv6:2001:db8::1]', '[ipv6:2001:db8::1]', '[IPV6:::1]', '[iPv6:::ffff:192.0.2.1]'])(
    'takes %s',
    (literal) => {
      expect(isAddressLiteral(literal)).toBe(true);
      expect(() =>
        validateAddress(`a@${literal}`, 'to', { allowNull: false, smtputf8: false }),
      ).not.toThrow();
    },
  );

  it.each(['[IPv5:2001:db8::1]', '[ipv6-2001:db8::1]'])('refuses %s', (literal) => {
    expect(isAddressLiteral(literal)).toBe(false);
  });
});
