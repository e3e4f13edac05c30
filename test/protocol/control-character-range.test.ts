import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors/codes.js';
import { hasControlCharacter } from '../../src/protocol/address.js';
import { encodeCommand } from '../../src/protocol/command.js';

const controls = [
  ...Array.from({ length: 0x20 }, (_, c) => c),
  ...Array.from({ length: 0x21 }, (_, i) => 0x7f + i),
];

function errorCode(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return (error as { code?: unknown }).code;
  }
  return undefined;
}

// C0 controls (U+0000–U+001F), DEL and the C1 controls (U+0080–U+009F, NEL among them) are refused
// as control characters wherever a field reaches a command line (threats.md §3); the ends of the
// ranges included.
describe('control characters: U+0000–U+001F and U+007F–U+009F, and nothing else', () => {
  it('hasControlCharacter is true for each of them and false just outside the ranges', () => {
    for (const c of controls)
      expect(hasControlCharacter(`a${String.fromCharCode(c)}b`), `U+${c.toString(16)}`).toBe(true);
    for (const c of [0x20, 0x7e, 0xa0, 0xff]) expect(hasControlCharacter(String.fromCharCode(c))).toBe(false);
  });

  it.each([0x01, 0x1f, 0x7f, 0x80, 0x9f])('code point %i is SMTP_CONTROL_CHARACTER in every field', (c) => {
    const ch = String.fromCharCode(c);
    expect(errorCode(() => encodeCommand({ verb: 'EHLO', domain: `client${ch}.example` }))).toBe(
      ErrorCodes.CONTROL_CHARACTER,
    );
    expect(errorCode(() => encodeCommand({ verb: 'MAIL', from: `a${ch}@x.example`, smtputf8: true }))).toBe(
      ErrorCodes.CONTROL_CHARACTER,
    );
    expect(errorCode(() => encodeCommand({ verb: 'RCPT', to: `a@x${ch}.example` }))).toBe(
      ErrorCodes.CONTROL_CHARACTER,
    );
    expect(errorCode(() => encodeCommand({ verb: 'AUTH', mechanism: `PLAIN${ch}` }))).toBe(
      ErrorCodes.CONTROL_CHARACTER,
    );
    expect(errorCode(() => encodeCommand({ verb: 'AUTH_RESPONSE', data: `dGVz${ch}` }))).toBe(
      ErrorCodes.CONTROL_CHARACTER,
    );
  });
});
