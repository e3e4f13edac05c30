import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../src/errors/codes.js';
import { ErrorCodes } from '../../src/errors/codes.js';
import { SmtpUsageError } from '../../src/errors/smtp-error.js';
import { parseAddress } from '../../src/protocol/address.js';
import type { Command } from '../../src/protocol/command.js';
import {
  encodeCommand,
  encodeCommands,
  MAX_SASL_RESPONSE_LINE_OCTETS,
  validateCommand,
} from '../../src/protocol/command.js';
import { MAX_COMMAND_LINE_OCTETS } from '../../src/protocol/limits.js';

const decoder = new TextDecoder('utf-8', { fatal: true });
const wire = (command: Command): string => decoder.decode(encodeCommand(command));
/** JS callers can pass anything: the encoder checks at run time, so tests may too. */
const untyped = (command: Record<string, unknown>): Command => command as unknown as Command;

function refusal(command: Command): SmtpUsageError {
  let caught: unknown;
  try {
    encodeCommand(command);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(SmtpUsageError);
  expect(() => validateCommand(command)).toThrow(SmtpUsageError);
  return caught as SmtpUsageError;
}

describe('encodeCommand: exact wire forms', () => {
  it.each<[Command, string]>([
    [{ verb: 'EHLO', domain: 'client.example' }, 'EHLO client.example\r\n'],
    [{ verb: 'EHLO', domain: '[192.0.2.1]' }, 'EHLO [192.0.2.1]\r\n'],
    [{ verb: 'EHLO', domain: '[IPv6:2001:db8::1]' }, 'EHLO [IPv6:2001:db8::1]\r\n'],
    [{ verb: 'HELO', domain: 'localhost' }, 'HELO localhost\r\n'],
    [{ verb: 'STARTTLS' }, 'STARTTLS\r\n'],
    [{ verb: 'AUTH', mechanism: 'LOGIN' }, 'AUTH LOGIN\r\n'],
    [
      { verb: 'AUTH', mechanism: 'PLAIN', initialResponse: 'AHVzZXIAcGFzcw==' },
      'AUTH PLAIN AHVzZXIAcGFzcw==\r\n',
    ],
    [{ verb: 'AUTH', mechanism: 'EXTERNAL', initialResponse: '=' }, 'AUTH EXTERNAL =\r\n'],
    [{ verb: 'AUTH', mechanism: 'SCRAM-SHA-1_X', initialResponse: 'YWI=' }, 'AUTH SCRAM-SHA-1_X YWI=\r\n'],
    [{ verb: 'AUTH_RESPONSE', data: 'dXNlcg==' }, 'dXNlcg==\r\n'],
    [{ verb: 'AUTH_RESPONSE', data: '*' }, '*\r\n'],
    [{ verb: 'AUTH_RESPONSE', data: '' }, '\r\n'],
    [{ verb: 'MAIL', from: 'a@x.example' }, 'MAIL FROM:<a@x.example>\r\n'],
    [{ verb: 'MAIL', from: '' }, 'MAIL FROM:<>\r\n'],
    [{ verb: 'MAIL', from: 'a@x.example', size: 0 }, 'MAIL FROM:<a@x.example> SIZE=0\r\n'],
    [
      { verb: 'MAIL', from: 'a@x.example', size: 12345, body: '8BITMIME' },
      'MAIL FROM:<a@x.example> SIZE=12345 BODY=8BITMIME\r\n',
    ],
    [{ verb: 'MAIL', from: 'a@x.example', body: '7BIT' }, 'MAIL FROM:<a@x.example> BODY=7BIT\r\n'],
    [
      { verb: 'MAIL', from: 'pelé@x.example', size: 9, body: 'BINARYMIME', smtputf8: true },
      'MAIL FROM:<pelé@x.example> SIZE=9 BODY=BINARYMIME SMTPUTF8\r\n',
    ],
    [{ verb: 'MAIL', from: 'a@x.example', smtputf8: false }, 'MAIL FROM:<a@x.example>\r\n'],
    [{ verb: 'RCPT', to: 'b@y.example' }, 'RCPT TO:<b@y.example>\r\n'],
    [{ verb: 'RCPT', to: '"a@b x"@c.example' }, 'RCPT TO:<"a@b x"@c.example>\r\n'],
    [{ verb: 'RCPT', to: '用户@例子.广告', smtputf8: true }, 'RCPT TO:<用户@例子.广告>\r\n'],
    [{ verb: 'RCPT', to: 'b@[IPv6:::1]' }, 'RCPT TO:<b@[IPv6:::1]>\r\n'],
    // RFC 5321 §4.1.1.3: "<Postmaster>" with no domain, in any case, is a valid forward-path.
    [{ verb: 'RCPT', to: 'Postmaster' }, 'RCPT TO:<Postmaster>\r\n'],
    [{ verb: 'RCPT', to: 'postMASTER' }, 'RCPT TO:<postMASTER>\r\n'],
    [{ verb: 'DATA' }, 'DATA\r\n'],
    [{ verb: 'BDAT', size: 1024, last: false }, 'BDAT 1024\r\n'],
    [{ verb: 'BDAT', size: 0, last: true }, 'BDAT 0 LAST\r\n'],
    [{ verb: 'RSET' }, 'RSET\r\n'],
    [{ verb: 'NOOP' }, 'NOOP\r\n'],
    [{ verb: 'QUIT' }, 'QUIT\r\n'],
  ])('%j', (command, expected) => {
    expect(wire(command)).toBe(expected);
    expect(() => validateCommand(command)).not.toThrow();
  });

  it('returns UTF-8 bytes', () => {
    const bytes = encodeCommand({ verb: 'RCPT', to: 'ü@x.example', smtputf8: true });
    expect(Array.from(bytes.slice(9, 11))).toEqual([0xc3, 0xbc]);
  });
});

describe('encodeCommand: refusals', () => {
  it.each<[string, Command, ErrorCode, string]>([
    ['EHLO empty', { verb: 'EHLO', domain: '' }, ErrorCodes.INVALID_ARGUMENT, 'clientName'],
    ['EHLO underscore', { verb: 'EHLO', domain: 'bad_name' }, ErrorCodes.INVALID_ARGUMENT, 'clientName'],
    ['EHLO space', { verb: 'EHLO', domain: 'a b' }, ErrorCodes.INVALID_ARGUMENT, 'clientName'],
    ['EHLO trailing dot', { verb: 'EHLO', domain: 'x.example.' }, ErrorCodes.INVALID_ARGUMENT, 'clientName'],
    ['EHLO bad literal', { verb: 'EHLO', domain: '[300.1.1.1]' }, ErrorCodes.INVALID_ARGUMENT, 'clientName'],
    [
      'EHLO U-label',
      { verb: 'HELO', domain: 'bücher.example' },
      ErrorCodes.NON_ASCII_WITHOUT_SMTPUTF8,
      'clientName',
    ],
    [
      'EHLO too long',
      { verb: 'EHLO', domain: `${'a'.repeat(63)}.`.repeat(4) + 'a' },
      ErrorCodes.INVALID_ARGUMENT,
      'clientName',
    ],
    ['EHLO not a string', untyped({ verb: 'EHLO', domain: 42 }), ErrorCodes.INVALID_ARGUMENT, 'clientName'],
    ['AUTH lower-case', { verb: 'AUTH', mechanism: 'plain' }, ErrorCodes.INVALID_ARGUMENT, 'auth.mechanism'],
    ['AUTH empty', { verb: 'AUTH', mechanism: '' }, ErrorCodes.INVALID_ARGUMENT, 'auth.mechanism'],
    [
      'AUTH 21 chars',
      { verb: 'AUTH', mechanism: 'A'.repeat(21) },
      ErrorCodes.INVALID_ARGUMENT,
      'auth.mechanism',
    ],
    ['AUTH space', { verb: 'AUTH', mechanism: 'PLAIN X' }, ErrorCodes.INVALID_ARGUMENT, 'auth.mechanism'],
    [
      'AUTH bad base64',
      { verb: 'AUTH', mechanism: 'PLAIN', initialResponse: 'abc' },
      ErrorCodes.INVALID_ARGUMENT,
      'auth.data',
    ],
    [
      'AUTH bad padding',
      { verb: 'AUTH', mechanism: 'PLAIN', initialResponse: 'a===' },
      ErrorCodes.INVALID_ARGUMENT,
      'auth.data',
    ],
    [
      'AUTH empty IR',
      { verb: 'AUTH', mechanism: 'PLAIN', initialResponse: '' },
      ErrorCodes.INVALID_ARGUMENT,
      'auth.data',
    ],
    [
      'AUTH IR cancel',
      { verb: 'AUTH', mechanism: 'PLAIN', initialResponse: '*' },
      ErrorCodes.INVALID_ARGUMENT,
      'auth.data',
    ],
    [
      'AUTH IR space',
      { verb: 'AUTH', mechanism: 'PLAIN', initialResponse: 'YWI= x' },
      ErrorCodes.INVALID_ARGUMENT,
      'auth.data',
    ],
    ['AUTH_RESPONSE =', { verb: 'AUTH_RESPONSE', data: '=' }, ErrorCodes.INVALID_ARGUMENT, 'auth.data'],
    [
      'AUTH_RESPONSE text',
      { verb: 'AUTH_RESPONSE', data: 'user name' },
      ErrorCodes.INVALID_ARGUMENT,
      'auth.data',
    ],
    [
      'AUTH_RESPONSE non-ASCII',
      { verb: 'AUTH_RESPONSE', data: 'dXNl\u00e9' },
      ErrorCodes.INVALID_ARGUMENT,
      'auth.data',
    ],
    ['MAIL null only from', { verb: 'RCPT', to: '' }, ErrorCodes.INVALID_ADDRESS, 'to'],
    [
      'MAIL UTF-8 without flag',
      { verb: 'MAIL', from: 'pelé@x.example' },
      ErrorCodes.NON_ASCII_WITHOUT_SMTPUTF8,
      'from',
    ],
    [
      'RCPT UTF-8 without flag',
      { verb: 'RCPT', to: 'pelé@x.example' },
      ErrorCodes.NON_ASCII_WITHOUT_SMTPUTF8,
      'to',
    ],
    ['RCPT confusable @', { verb: 'RCPT', to: 'a@b x@c.example' }, ErrorCodes.INVALID_ADDRESS, 'to'],
    // The bare Postmaster is a forward-path only, and only that exact word.
    ['MAIL bare Postmaster', { verb: 'MAIL', from: 'Postmaster' }, ErrorCodes.INVALID_ADDRESS, 'from'],
    ['RCPT Postmasters', { verb: 'RCPT', to: 'Postmasters' }, ErrorCodes.INVALID_ADDRESS, 'to'],
    ['RCPT Postmaster.', { verb: 'RCPT', to: 'Postmaster.' }, ErrorCodes.INVALID_ADDRESS, 'to'],
    ['SIZE negative', { verb: 'MAIL', from: '', size: -1 }, ErrorCodes.INVALID_ARGUMENT, 'size'],
    ['SIZE fraction', { verb: 'MAIL', from: '', size: 1.5 }, ErrorCodes.INVALID_ARGUMENT, 'size'],
    ['SIZE NaN', { verb: 'MAIL', from: '', size: Number.NaN }, ErrorCodes.INVALID_ARGUMENT, 'size'],
    [
      'SIZE Infinity',
      { verb: 'MAIL', from: '', size: Number.POSITIVE_INFINITY },
      ErrorCodes.INVALID_ARGUMENT,
      'size',
    ],
    ['SIZE 2^53', { verb: 'MAIL', from: '', size: 2 ** 53 }, ErrorCodes.INVALID_ARGUMENT, 'size'],
    ['SIZE string', untyped({ verb: 'MAIL', from: '', size: '10' }), ErrorCodes.INVALID_ARGUMENT, 'size'],
    ['SIZE bigint', untyped({ verb: 'MAIL', from: '', size: 10n }), ErrorCodes.INVALID_ARGUMENT, 'size'],
    ['BODY unknown', untyped({ verb: 'MAIL', from: '', body: '8BIT' }), ErrorCodes.INVALID_ARGUMENT, 'body'],
    [
      'SMTPUTF8 not boolean',
      untyped({ verb: 'MAIL', from: '', smtputf8: 'yes' }),
      ErrorCodes.INVALID_ARGUMENT,
      'smtputf8',
    ],
    [
      'RCPT smtputf8 not boolean',
      untyped({ verb: 'RCPT', to: 'a@b', smtputf8: 1 }),
      ErrorCodes.INVALID_ARGUMENT,
      'smtputf8',
    ],
    ['BDAT negative', { verb: 'BDAT', size: -5, last: true }, ErrorCodes.INVALID_ARGUMENT, 'bdat.size'],
    [
      'BDAT last not boolean',
      untyped({ verb: 'BDAT', size: 5, last: 'yes' }),
      ErrorCodes.INVALID_ARGUMENT,
      'bdat.last',
    ],
    ['unknown verb', untyped({ verb: 'VRFY' }), ErrorCodes.INVALID_ARGUMENT, 'verb'],
    [
      'not an object',
      untyped(null as unknown as Record<string, unknown>),
      ErrorCodes.INVALID_ARGUMENT,
      'command',
    ],
  ])('%s', (_name, command, code, field) => {
    const error = refusal(command);
    expect(error).toMatchObject({ code, field, origin: 'local', outcome: 'not-sent' });
  });

  it('caps the AUTH line at 512 octets with CRLF (RFC 4954 §4: the client must then omit the initial response)', () => {
    const ir = 'QUJD'.repeat(125); // 500 chars
    expect(wire({ verb: 'AUTH', mechanism: 'ABCD', initialResponse: ir })).toHaveLength(
      MAX_COMMAND_LINE_OCTETS,
    );
    const error = refusal({ verb: 'AUTH', mechanism: 'ABCDE', initialResponse: ir });
    expect(error).toMatchObject({ code: ErrorCodes.COMMAND_TOO_LONG, field: 'auth.data' });
    expect(error.message).not.toContain(ir);
  });

  it('caps AUTH_RESPONSE lines at 12288 octets with CRLF', () => {
    const fits = 'QUJD'.repeat((MAX_SASL_RESPONSE_LINE_OCTETS - 4) / 4);
    expect(encodeCommand({ verb: 'AUTH_RESPONSE', data: fits }).length).toBe(
      MAX_SASL_RESPONSE_LINE_OCTETS - 2,
    );
    const error = refusal({ verb: 'AUTH_RESPONSE', data: `${fits}QUJD` });
    expect(error).toMatchObject({ code: ErrorCodes.COMMAND_TOO_LONG, field: 'auth.data' });
  });

  it('fits the longest MAIL command under 512 octets', () => {
    const from = `${'l'.repeat(60)}@${'d'.repeat(63)}.${'d'.repeat(63)}.${'d'.repeat(63)}.d`;
    const line = wire({
      verb: 'MAIL',
      from,
      size: Number.MAX_SAFE_INTEGER,
      body: 'BINARYMIME',
      smtputf8: true,
    });
    expect(line.length).toBeLessThanOrEqual(MAX_COMMAND_LINE_OCTETS);
  });
});

/** threats.md §3: every field that reaches a command line × every known injection payload. */
describe('encodeCommand: injection matrix', () => {
  const payloads = ['\r\n', '\r', '\n', '\0', '\x7f', '\r\nRCPT TO:<evil@x>', '>\r\nDATA'];
  type Case = [field: string, code: ErrorCode, command: Command, value: string];
  const cases: Case[] = [];
  const control = ErrorCodes.CONTROL_CHARACTER;
  for (const p of payloads) {
    for (const value of [`client${p}.example`, `client.example${p}`, p]) {
      cases.push(['clientName', control, { verb: 'EHLO', domain: value }, value]);
      cases.push(['clientName', control, { verb: 'HELO', domain: value }, value]);
    }
    for (const value of [`a${p}@x.example`, `a@x.example${p}`, `"a${p}"@x.example`, `"a\\${p}"@x.example`]) {
      cases.push(['from', control, { verb: 'MAIL', from: value }, value]);
      cases.push(['from', control, { verb: 'MAIL', from: value, smtputf8: true }, value]);
      cases.push(['to', control, { verb: 'RCPT', to: value }, value]);
      cases.push(['to', control, { verb: 'RCPT', to: value, smtputf8: true }, value]);
    }
    cases.push(['auth.mechanism', control, { verb: 'AUTH', mechanism: `PLAIN${p}` }, `PLAIN${p}`]);
    for (const value of [`dGVzdA==${p}`, `${p}dGVzdA==`]) {
      cases.push(['auth.data', control, { verb: 'AUTH', mechanism: 'PLAIN', initialResponse: value }, value]);
      cases.push(['auth.data', control, { verb: 'AUTH_RESPONSE', data: value }, value]);
    }
    const size = `10${p}`;
    cases.push(['size', ErrorCodes.INVALID_ARGUMENT, untyped({ verb: 'MAIL', from: '', size }), size]);
    cases.push(['bdat.size', ErrorCodes.INVALID_ARGUMENT, untyped({ verb: 'BDAT', size, last: true }), size]);
  }
  const quoted = ['"a\r\nRCPT TO:<evil>"@x.example', '"a\rb"@x.example', '"a\nb"@x.example'];
  for (const value of quoted) {
    cases.push(['from', control, { verb: 'MAIL', from: value }, value]);
    cases.push(['to', control, { verb: 'RCPT', to: value }, value]);
  }
  const smuggledSize = '10\r\nRCPT TO:<x@evil>';
  cases.push([
    'size',
    ErrorCodes.INVALID_ARGUMENT,
    untyped({ verb: 'MAIL', from: '', size: smuggledSize }),
    smuggledSize,
  ]);

  it.each(cases)('%s %s %j', (field, code, command, value) => {
    const error = refusal(command);
    expect(error).toMatchObject({ code, field });
    expect(error.message).not.toContain(value);
    for (const p of payloads) expect(error.message).not.toContain(p);
    expect(error.message).not.toMatch(/[\r\n\0\x7f]/);
  });
});

// ---- Properties ---------------------------------------------------------------------------------

const ATEXT = [..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~"];
const ALNUM = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'];
const PRINTABLE = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i));
const QTEXT = PRINTABLE.filter((c) => c !== '"' && c !== '\\');
/** Non-ASCII scalar values outside C1 (RFC 6531 UTF8-non-ascii, minus the controls we refuse). */
const nonAscii = fc
  .integer({ min: 0xa0, max: 0x10ffff })
  .filter((cp) => cp < 0xd800 || cp > 0xdfff)
  .map((cp) => String.fromCodePoint(cp));

function localPartArb(utf8: boolean): fc.Arbitrary<string> {
  const atextChar = utf8 ? fc.oneof(fc.constantFrom(...ATEXT), nonAscii) : fc.constantFrom(...ATEXT);
  const atom = fc.array(atextChar, { minLength: 1, maxLength: 8 }).map((cs) => cs.join(''));
  const dotString = fc.array(atom, { minLength: 1, maxLength: 4 }).map((as) => as.join('.'));
  const qtext = utf8 ? fc.oneof(fc.constantFrom(...QTEXT), nonAscii) : fc.constantFrom(...QTEXT);
  const qcontent = fc.oneof(
    qtext,
    fc.constantFrom(...PRINTABLE).map((c) => `\\${c}`),
  );
  const quoted = fc.array(qcontent, { maxLength: 12 }).map((cs) => `"${cs.join('')}"`);
  return fc.oneof(dotString, quoted);
}

function domainArb(utf8: boolean): fc.Arbitrary<string> {
  const ldh = fc.constantFrom(...ALNUM, '-');
  const letDig = utf8 ? fc.oneof(fc.constantFrom(...ALNUM), nonAscii) : fc.constantFrom(...ALNUM);
  const label = fc
    .tuple(
      letDig,
      fc.option(fc.tuple(fc.array(utf8 ? fc.oneof(ldh, nonAscii) : ldh, { maxLength: 6 }), letDig)),
    )
    .map(([first, rest]) => (rest === null ? first : first + rest[0].join('') + rest[1]));
  const name = fc.array(label, { minLength: 1, maxLength: 4 }).map((ls) => ls.join('.'));
  const ipv4 = fc.array(fc.nat(255), { minLength: 4, maxLength: 4 }).map((ns) => ns.join('.'));
  const hex = fc.integer({ min: 0, max: 0xffff }).map((n) => n.toString(16));
  const groups = (max: number) => fc.array(hex, { maxLength: max }).map((gs) => gs.join(':'));
  const ipv6 = fc.oneof(
    fc.array(hex, { minLength: 8, maxLength: 8 }).map((gs) => gs.join(':')),
    fc.tuple(groups(3), groups(3)).map(([l, r]) => `${l}::${r}`),
    fc.tuple(fc.array(hex, { minLength: 6, maxLength: 6 }), ipv4).map(([gs, v4]) => `${gs.join(':')}:${v4}`),
    fc
      .tuple(groups(2), fc.array(hex, { maxLength: 2 }), ipv4)
      .map(([l, r, v4]) => `${l}::${r.map((g) => `${g}:`).join('')}${v4}`),
  );
  return fc.oneof(
    { weight: 4, arbitrary: name },
    fc.oneof(
      ipv4.map((a) => `[${a}]`),
      ipv6.map((a) => `[IPv6:${a}]`),
    ),
  );
}

const utf8Octets = (s: string) => new TextEncoder().encode(s).length;
function addressArb(utf8: boolean) {
  return fc
    .tuple(localPartArb(utf8), domainArb(utf8))
    .filter(
      ([l, d]) => utf8Octets(l) <= 64 && utf8Octets(d) <= 255 && utf8Octets(l) + utf8Octets(d) + 3 <= 256,
    );
}

/** Arbitrary, mostly hostile text: any code point (lone surrogates included), ASCII controls, payloads. */
const hostile = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'binary-ascii', maxLength: 40 }),
  fc.constantFrom(
    '\r\n',
    '\r',
    '\n',
    '\0',
    '\x7f',
    '\r\nRCPT TO:<evil@x>',
    '>\r\nDATA',
    '\u0085',
    '\u2028',
    '\ud800',
  ),
);
/** A valid value with hostile text inserted somewhere: exercises both the accept and refuse paths. */
function mutated(valid: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.oneof(
    valid,
    hostile,
    fc
      .tuple(valid, fc.nat(), hostile)
      .map(([v, at, h]) => v.slice(0, at % (v.length + 1)) + h + v.slice(at % (v.length + 1))),
  );
}
const anyAddress = fc.oneof(addressArb(false), addressArb(true)).map(([l, d]) => `${l}@${d}`);
const base64 = fc.oneof(
  fc.base64String({ maxLength: 40 }),
  fc.integer({ min: 0, max: 3300 }).map((n) => 'QUJD'.repeat(n)), // up to 13200 chars: crosses both caps
);
const numeric = fc.oneof(
  fc.nat(),
  fc.maxSafeNat(),
  fc.integer(),
  fc.double(),
  hostile,
  fc.constantFrom('10\r\nRCPT TO:<x@evil>', '1e3', 2 ** 53, -0, Number.NaN),
) as fc.Arbitrary<number>;
const flagArb = fc.option(fc.oneof(fc.boolean(), fc.constant('yes')), { nil: undefined }) as fc.Arbitrary<
  boolean | undefined
>;

const commandArb: fc.Arbitrary<Command> = fc.oneof(
  fc.record({ verb: fc.constantFrom('EHLO', 'HELO'), domain: mutated(domainArb(false)) }),
  fc.record({ verb: fc.constantFrom('STARTTLS', 'DATA', 'RSET', 'NOOP', 'QUIT') }),
  fc.record(
    {
      verb: fc.constant('AUTH'),
      mechanism: mutated(fc.constantFrom('PLAIN', 'LOGIN', 'XOAUTH2', 'CRAM-MD5', 'SCRAM-SHA-256')),
      initialResponse: mutated(fc.oneof(base64, fc.constant('='))),
    },
    { requiredKeys: ['verb', 'mechanism'] },
  ),
  fc.record({ verb: fc.constant('AUTH_RESPONSE'), data: mutated(fc.oneof(base64, fc.constant('*'))) }),
  fc.record(
    {
      verb: fc.constant('MAIL'),
      from: mutated(fc.oneof(anyAddress, fc.constant(''))),
      size: numeric,
      body: fc.constantFrom('7BIT', '8BITMIME', 'BINARYMIME', '8BIT\r\n'),
      smtputf8: flagArb,
    },
    { requiredKeys: ['verb', 'from'] },
  ),
  fc.record(
    { verb: fc.constant('RCPT'), to: mutated(anyAddress), smtputf8: flagArb },
    { requiredKeys: ['verb', 'to'] },
  ),
  fc.record({ verb: fc.constant('BDAT'), size: numeric, last: fc.boolean() }),
) as fc.Arbitrary<Command>;

function outcome(
  run: () => unknown,
): { ok: true; value: unknown } | { ok: false; code: string; field?: string } {
  try {
    return { ok: true, value: run() };
  } catch (error) {
    if (!(error instanceof SmtpUsageError)) throw error;
    return { ok: false, code: error.code, ...(error.field === undefined ? {} : { field: error.field }) };
  }
}

describe('encodeCommand: properties', () => {
  it('either refuses with SmtpUsageError or emits one line: one CRLF at the end, no other CR/LF, within the cap', () => {
    let accepted = 0;
    let refused = 0;
    fc.assert(
      fc.property(commandArb, (command) => {
        const result = outcome(() => encodeCommand(command));
        if (!result.ok) {
          refused++;
          return;
        }
        accepted++;
        const bytes = result.value as Uint8Array;
        const cap =
          command.verb === 'AUTH_RESPONSE' ? MAX_SASL_RESPONSE_LINE_OCTETS : MAX_COMMAND_LINE_OCTETS;
        expect(bytes.length).toBeLessThanOrEqual(cap);
        expect(bytes.at(-2)).toBe(0x0d);
        expect(bytes.at(-1)).toBe(0x0a);
        for (let i = 0; i < bytes.length - 2; i++) {
          if (bytes[i]! < 0x20 || bytes[i] === 0x7f)
            throw new Error(`control byte 0x${bytes[i]!.toString(16)} at ${i}`);
        }
      }),
      { numRuns: 1000 },
    );
    // Both paths must be exercised, or the property says nothing.
    expect(accepted).toBeGreaterThan(100);
    expect(refused).toBeGreaterThan(100);
  });

  it('validateCommand refuses exactly when encodeCommand does, with the same code and field', () => {
    fc.assert(
      fc.property(commandArb, (command) => {
        const encoded = outcome(() => encodeCommand(command));
        const validated = outcome(() => validateCommand(command));
        if (encoded.ok) expect(validated.ok).toBe(true);
        else expect(validated).toEqual(encoded);
      }),
      { numRuns: 1000 },
    );
  });

  it('encodeCommands (a flight) is the lines of encodeCommand end to end, and refuses as the first refused line does', () => {
    let accepted = 0;
    fc.assert(
      fc.property(fc.array(commandArb, { minLength: 1, maxLength: 5 }), (commands) => {
        const flight = outcome(() => encodeCommands(commands));
        const lines = commands.map((command) => outcome(() => encodeCommand(command)));
        const refused = lines.find((line) => !line.ok);
        if (refused !== undefined) {
          expect(flight).toEqual(refused);
          return;
        }
        accepted++;
        const joined = Buffer.concat(
          lines.map((line) => (line.ok ? (line.value as Uint8Array) : new Uint8Array())),
        );
        expect(Buffer.from(flight.ok ? (flight.value as Uint8Array) : new Uint8Array())).toEqual(joined);
      }),
      { numRuns: 1000 },
    );
    expect(accepted).toBeGreaterThan(50);
  });

  it('only a shared flight is a view of the slab; an own one (a credential, a Session’s write) is not', () => {
    const before = encodeCommands([{ verb: 'RSET' }], true);
    const own = encodeCommands([{ verb: 'AUTH', mechanism: 'PLAIN', initialResponse: 'AHVAAHA=' }]);
    const after = encodeCommands([{ verb: 'NOOP' }], true);
    // The shared ones are views of a larger buffer; the own one's buffer is its alone.
    expect(before.byteLength).toBeLessThan(before.buffer.byteLength);
    expect(after.byteLength).toBeLessThan(after.buffer.byteLength);
    expect(own.byteLength).toBe(own.buffer.byteLength);
    expect([before.buffer, after.buffer]).not.toContain(own.buffer);
    expect(new TextDecoder().decode(before.buffer as ArrayBuffer)).not.toContain('AHVAAHA=');
  });

  it('a slab detached by a transfer is replaced: later flights still encode', () => {
    const view = encodeCommands([{ verb: 'RSET' }], true);
    structuredClone(view.buffer, { transfer: [view.buffer as ArrayBuffer] });
    expect(view.byteLength).toBe(0);
    expect(new TextDecoder().decode(encodeCommands([{ verb: 'NOOP' }], true))).toBe('NOOP\r\n');
  });

  it('encodeCommands hands out views that later flights never overwrite (the shared slab, its refills included)', () => {
    const flights: { bytes: Uint8Array; copy: Uint8Array }[] = [];
    for (let i = 0; i < 400; i++) {
      const to = i % 3 === 0 ? `r${i}@\u00e9xample.org` : `rcpt${i}@example.org`;
      const bytes = encodeCommands(
        [
          { verb: 'MAIL', from: `s${i}@example.com`, size: i, smtputf8: i % 3 === 0 },
          { verb: 'RCPT', to, smtputf8: i % 3 === 0 },
          { verb: 'DATA' },
        ],
        true,
      );
      flights.push({ bytes, copy: bytes.slice() });
    }
    // Longer than what the slab takes: encoded on its own.
    const long = encodeCommands(
      Array.from({ length: 40 }, () => ({ verb: 'RCPT' as const, to: 'a@example.org' })),
      true,
    );
    expect(long.length).toBe(40 * 'RCPT TO:<a@example.org>\r\n'.length);
    for (const { bytes, copy } of flights) expect(bytes).toEqual(copy);
    expect(new TextDecoder().decode(flights[3]?.bytes)).toBe(
      'MAIL FROM:<s3@example.com> SIZE=3 SMTPUTF8\r\nRCPT TO:<r3@\u00e9xample.org>\r\nDATA\r\n',
    );
  });

  it('grammar-generated addresses encode and parse back to the same local part and domain', () => {
    const roundTrip = (utf8: boolean) =>
      fc.property(addressArb(utf8), fc.boolean(), ([localPart, domain], asMail) => {
        const address = `${localPart}@${domain}`;
        const command: Command = asMail
          ? { verb: 'MAIL', from: address, smtputf8: utf8 }
          : { verb: 'RCPT', to: address, smtputf8: utf8 };
        const line = wire(command);
        const prefix = asMail ? 'MAIL FROM:<' : 'RCPT TO:<';
        const suffix = asMail && utf8 ? '> SMTPUTF8\r\n' : '>\r\n';
        expect(line.startsWith(prefix) && line.endsWith(suffix)).toBe(true);
        const path = line.slice(prefix.length, line.length - suffix.length);
        expect(path).toBe(address);
        expect(parseAddress(path, 'to', { allowNull: false, smtputf8: utf8 })).toEqual({ localPart, domain });
      });
    fc.assert(roundTrip(false), { numRuns: 500 });
    fc.assert(roundTrip(true), { numRuns: 500 });
  });
});
