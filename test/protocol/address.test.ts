import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../src/errors/codes.js';
import { ErrorCodes } from '../../src/errors/codes.js';
import { SmtpUsageError } from '../../src/errors/smtp-error.js';
import {
  type AddressOptions,
  isAscii,
  memoizedAddresses,
  parseAddress,
  parseAddressUncached,
  validateAddress,
} from '../../src/protocol/address.js';

const ASCII = { allowNull: false, smtputf8: false };
const UTF8 = { allowNull: false, smtputf8: true };

function refusal(address: string, options = ASCII, field = 'to'): SmtpUsageError {
  try {
    validateAddress(address, field, options);
  } catch (error) {
    expect(error).toBeInstanceOf(SmtpUsageError);
    return error as SmtpUsageError;
  }
  throw new Error('expected a refusal');
}

const VALID: readonly [string, string, string][] = [
  // address, local part, domain
  ['user@example.com', 'user', 'example.com'],
  ['a@b', 'a', 'b'],
  ['first.last@sub.example.co.uk', 'first.last', 'sub.example.co.uk'],
  ["!#$%&'*+-/=?^_`{|}~@example.com", "!#$%&'*+-/=?^_`{|}~", 'example.com'],
  ['user+tag@xn--bcher-kva.example', 'user+tag', 'xn--bcher-kva.example'],
  ['a@1-2.example', 'a', '1-2.example'],
  ['"a@b x"@c.example', '"a@b x"', 'c.example'],
  ['"john \\"q\\" doe"@example.com', '"john \\"q\\" doe"', 'example.com'],
  ['"back\\\\slash"@example.com', '"back\\\\slash"', 'example.com'],
  ['"..dots.."@example.com', '"..dots.."', 'example.com'],
  ['""@example.com', '""', 'example.com'],
  ['"a>b,c<d"@example.com', '"a>b,c<d"', 'example.com'],
  ['"@"@example.com', '"@"', 'example.com'],
  ['user@[192.0.2.1]', 'user', '[192.0.2.1]'],
  ['user@[255.255.255.255]', 'user', '[255.255.255.255]'],
  ['user@[IPv6:2001:db8::1]', 'user', '[IPv6:2001:db8::1]'],
  ['user@[IPv6:2001:db8:0:0:0:0:0:1]', 'user', '[IPv6:2001:db8:0:0:0:0:0:1]'],
  ['user@[IPv6:::1]', 'user', '[IPv6:::1]'],
  ['user@[IPv6:::ffff:192.0.2.1]', 'user', '[IPv6:::ffff:192.0.2.1]'],
  ['user@[IPv6:1:2:3:4:5:6:192.0.2.1]', 'user', '[IPv6:1:2:3:4:5:6:192.0.2.1]'],
  [`${'l'.repeat(64)}@example.com`, 'l'.repeat(64), 'example.com'],
  [`a@${'d'.repeat(63)}.example`, 'a', `${'d'.repeat(63)}.example`],
];

const INVALID: readonly [string, string, ErrorCode][] = [
  ['no at sign', 'userexample.com', ErrorCodes.INVALID_ADDRESS],
  ['missing domain', 'user@', ErrorCodes.INVALID_ADDRESS],
  ['missing local part', '@example.com', ErrorCodes.INVALID_ADDRESS],
  ['leading dot', '.user@example.com', ErrorCodes.INVALID_ADDRESS],
  ['trailing dot', 'user.@example.com', ErrorCodes.INVALID_ADDRESS],
  ['double dot', 'us..er@example.com', ErrorCodes.INVALID_ADDRESS],
  ['unquoted space', 'us er@example.com', ErrorCodes.INVALID_ADDRESS],
  ['unquoted @ confusion', 'a@b x@c.example', ErrorCodes.INVALID_ADDRESS],
  ['two unquoted @', 'a@b@c.example', ErrorCodes.INVALID_ADDRESS],
  ['angle bracket', 'user>@example.com', ErrorCodes.INVALID_ADDRESS],
  ['closing bracket injection', 'user@example.com>', ErrorCodes.INVALID_ADDRESS],
  ['comma list', 'a@x.example,b@y.example', ErrorCodes.INVALID_ADDRESS],
  ['wrapped in brackets', '<user@example.com>', ErrorCodes.INVALID_ADDRESS],
  ['source route', '@relay.example:user@example.com', ErrorCodes.INVALID_ADDRESS],
  ['unterminated quote', '"abc@example.com', ErrorCodes.INVALID_ADDRESS],
  ['text after quote', '"abc"d@example.com', ErrorCodes.INVALID_ADDRESS],
  ['bare backslash in quotes', '"a\\"@example.com', ErrorCodes.INVALID_ADDRESS],
  ['domain leading dot', 'a@.example.com', ErrorCodes.INVALID_ADDRESS],
  ['domain trailing dot', 'a@example.com.', ErrorCodes.INVALID_ADDRESS],
  ['domain double dot', 'a@example..com', ErrorCodes.INVALID_ADDRESS],
  ['domain leading hyphen', 'a@-example.com', ErrorCodes.INVALID_ADDRESS],
  ['domain trailing hyphen', 'a@example-.com', ErrorCodes.INVALID_ADDRESS],
  ['domain underscore', 'a@ex_ample.com', ErrorCodes.INVALID_ADDRESS],
  ['label over 63', `a@${'d'.repeat(64)}.example`, ErrorCodes.INVALID_ADDRESS],
  ['local part over 64', `${'l'.repeat(65)}@example.com`, ErrorCodes.INVALID_ADDRESS],
  ['quoted local part over 64', `"${'l'.repeat(63)}"@example.com`, ErrorCodes.INVALID_ADDRESS],
  ['path over 256', `a@${Array(26).fill('d'.repeat(9)).join('.')}`, ErrorCodes.INVALID_ADDRESS],
  ['IPv4 octet over 255', 'a@[192.0.2.256]', ErrorCodes.INVALID_ADDRESS],
  ['IPv4 three parts', 'a@[192.0.2]', ErrorCodes.INVALID_ADDRESS],
  ['literal not closed', 'a@[192.0.2.1', ErrorCodes.INVALID_ADDRESS],
  ['IPv6 without tag', 'a@[2001:db8::1]', ErrorCodes.INVALID_ADDRESS],
  ['IPv6 two ::', 'a@[IPv6:1::2::3]', ErrorCodes.INVALID_ADDRESS],
  ['IPv6 too many groups', 'a@[IPv6:1:2:3:4:5:6:7:8:9]', ErrorCodes.INVALID_ADDRESS],
  ['IPv6 :: with 7 groups', 'a@[IPv6:1:2:3:4:5:6:7::]', ErrorCodes.INVALID_ADDRESS],
  ['IPv6 group of 5 digits', 'a@[IPv6:12345::1]', ErrorCodes.INVALID_ADDRESS],
  ['general address literal', 'a@[x400:anything]', ErrorCodes.INVALID_ADDRESS],
  ['literal with space', 'a@[192.0.2.1 ]', ErrorCodes.INVALID_ADDRESS],
  ['null path in RCPT', '', ErrorCodes.INVALID_ADDRESS],
  ['CR inside quotes', '"a\rb"@example.com', ErrorCodes.CONTROL_CHARACTER],
  ['escaped LF inside quotes', '"a\\\nb"@example.com', ErrorCodes.CONTROL_CHARACTER],
  ['TAB', 'a\t@example.com', ErrorCodes.CONTROL_CHARACTER],
  ['C1 NEL', 'a\u0085b@example.com', ErrorCodes.CONTROL_CHARACTER],
  ['UTF-8 without SMTPUTF8', 'pelé@example.com', ErrorCodes.NON_ASCII_WITHOUT_SMTPUTF8],
];

describe('validateAddress: RFC 5321 §4.1.2 grammar', () => {
  it.each(VALID)('accepts %j', (address, localPart, domain) => {
    expect(parseAddress(address, 'to', ASCII)).toEqual({ localPart, domain });
    expect(() => validateAddress(address, 'to', ASCII)).not.toThrow();
  });

  it.each(INVALID)('refuses %s', (_name, address, code) => {
    const error = refusal(address);
    expect(error.code).toBe(code);
    expect(error.field).toBe('to');
    if (address !== '') expect(error.message).not.toContain(address);
  });

  it('splits on the @ outside the quotes: "a@b x"@c.example goes to c.example, never b', () => {
    expect(parseAddress('"a@b x"@c.example', 'to', ASCII).domain).toBe('c.example');
    expect(parseAddress('"x@evil.example"@good.example', 'to', ASCII).domain).toBe('good.example');
  });

  it('accepts the null sender only when allowed', () => {
    expect(() => validateAddress('', 'from', { allowNull: true, smtputf8: false })).not.toThrow();
    expect(refusal('', ASCII, 'to').code).toBe(ErrorCodes.INVALID_ADDRESS);
  });

  it('counts lengths in UTF-8 octets', () => {
    // 32 × 'é' is 32 UTF-16 units but 64 octets: fits; 33 × 'é' is 66 octets: refused.
    expect(() => validateAddress(`${'é'.repeat(32)}@example.com`, 'to', UTF8)).not.toThrow();
    expect(refusal(`${'é'.repeat(33)}@example.com`, UTF8).code).toBe(ErrorCodes.INVALID_ADDRESS);
    const longDomain = Array(24).fill('ü'.repeat(5)).join('.'); // 24×10 + 23 = 263 octets
    expect(refusal(`a@${longDomain}`, UTF8).code).toBe(ErrorCodes.INVALID_ADDRESS);
  });

  it('accepts a 254-octet address (a 256-octet path) and refuses one octet more', () => {
    const domain = (n: number) => `${'d'.repeat(63)}.${'d'.repeat(63)}.${'d'.repeat(63)}.${'d'.repeat(n)}`;
    const fits = `${'l'.repeat(254 - 1 - domain(0).length - 1)}@${domain(1)}`;
    expect(fits.length).toBe(254);
    expect(() => validateAddress(fits, 'to', ASCII)).not.toThrow();
    expect(refusal(`l${fits}`).code).toBe(ErrorCodes.INVALID_ADDRESS);
  });
});

describe('validateAddress: RFC 6531 SMTPUTF8', () => {
  const utf8Addresses = [
    'pelé@example.com',
    '用户@例子.广告',
    'a@bücher.example',
    '"ü x"@example.com',
    '😀@example.com',
  ];

  it.each(utf8Addresses)('accepts %j with smtputf8 and refuses it without', (address) => {
    expect(() => validateAddress(address, 'to', UTF8)).not.toThrow();
    const error = refusal(address, ASCII);
    expect(error.code).toBe(ErrorCodes.NON_ASCII_WITHOUT_SMTPUTF8);
    expect(error.message).not.toContain(address);
  });

  it('keeps quoted-pairSMTP ASCII and refuses lone surrogates', () => {
    expect(refusal('"\\é"@example.com', UTF8).code).toBe(ErrorCodes.INVALID_ADDRESS);
    expect(refusal('a\ud800@example.com', UTF8).code).toBe(ErrorCodes.INVALID_ADDRESS);
    expect(refusal('a\udc00b@example.com', UTF8).code).toBe(ErrorCodes.INVALID_ADDRESS);
  });

  it('refuses non-ASCII inside an address literal', () => {
    expect(refusal('a@[IPv6:ü::1]', UTF8).code).toBe(ErrorCodes.INVALID_ADDRESS);
  });
});

describe('isAscii', () => {
  it.each([
    ['', true],
    ['plain\x7f', true],
    ['é', false],
    ['\u0080', false],
    ['😀', false],
  ] as const)('%j → %s', (text, expected) => {
    expect(isAscii(text)).toBe(expected);
  });
});

describe('the parsed-address memo', () => {
  /** What a parse answers: the parts, or the refusal's code, field and message. */
  function answer(parse: typeof parseAddress, address: string, field: string, options: AddressOptions) {
    try {
      return { ok: parse(address, field, options) };
    } catch (error) {
      const refused = error as SmtpUsageError;
      return { code: refused.code, field: refused.field, message: refused.message };
    }
  }

  // Short strings over an alphabet that makes valid, invalid, quoted, literal, null and non-ASCII
  // addresses, repeated so that most parses after the first of each are memo hits.
  const piece = fc.constantFrom(
    'a',
    'b',
    '.',
    '@',
    '"',
    '\\',
    ' ',
    '[',
    ']',
    ':',
    '1',
    '-',
    'é',
    '\x01',
    'x.example',
  );
  const address = fc.array(piece, { maxLength: 8 }).map((parts) => parts.join(''));
  const call = fc.record({
    address: fc.oneof(address, fc.constantFrom('', 'user@example.com', 'üser@example.com', 'a@b')),
    field: fc.constantFrom('from', 'to', 'to[3]'),
    options: fc.record({ allowNull: fc.boolean(), smtputf8: fc.boolean() }),
  });

  it('gives every call the answer of a parse without it, whatever came before (any options, any field)', () => {
    fc.assert(
      fc.property(fc.array(call, { minLength: 1, maxLength: 40 }), (calls) => {
        for (const { address, field, options } of calls) {
          expect(answer(parseAddress, address, field, options)).toEqual(
            answer(parseAddressUncached, address, field, options),
          );
        }
      }),
      { numRuns: 500 },
    );
  });

  it('refuses a value that is not a string, as the parse without it does', () => {
    parseAddress('user@example.com', 'to', ASCII);
    for (const value of [42, null, undefined, new String('user@example.com'), ['user@example.com']]) {
      const refused = answer(parseAddress, value as never, 'to', ASCII);
      expect(refused).toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT, field: 'to' });
      expect(refused).toEqual(answer(parseAddressUncached, value as never, 'to', ASCII));
    }
  });

  it('stays bounded and correct past its size (more distinct addresses than it holds)', () => {
    for (let i = 0; i < 1000; i++) {
      const valid = `user${i}@example.com`;
      expect(parseAddress(valid, 'to', ASCII)).toEqual({ localPart: `user${i}`, domain: 'example.com' });
      expect(refusal(`user${i}@-bad-.example`).code).toBe(ErrorCodes.INVALID_ADDRESS);
      expect(memoizedAddresses()).toBeLessThanOrEqual(256);
    }
    expect(memoizedAddresses()).toBeGreaterThan(0);
    // An address that parsed with SMTPUTF8 off still parses the same with it on, and the result is frozen.
    const parsed = parseAddress('user1@example.com', 'from', UTF8);
    expect(parsed).toEqual({ localPart: 'user1', domain: 'example.com' });
    expect(Object.isFrozen(parsed)).toBe(true);
  });
});
