import { describe, expect, test } from 'vitest';
import { ErrorCodes } from '../../src/errors/codes.js';
import { parseEhloReply } from '../../src/protocol/capabilities.js';
import { DEFAULT_TIMEOUTS, resolveTimeouts } from '../../src/session/timeouts.js';
import {
  createTransaction,
  envelopeCommands,
  parseMessageId,
  precheck,
} from '../../src/session/transaction.js';
import type { SendRequest } from '../../src/session/types.js';

describe('parseMessageId', () => {
  test.each([
    [
      'Ok 0101019dec617b98-3c1b5e1e-1f1c-4a5e-9d3b-9c0e2a6b7f00-000000',
      '0101019dec617b98-3c1b5e1e-1f1c-4a5e-9d3b-9c0e2a6b7f00-000000',
    ],
    ['2.0.0 Ok: queued as 4Bd2Xs1Ht9z9v', '4Bd2Xs1Ht9z9v'],
    ['OK id=1r2AbC-000xyz-7Q', '1r2AbC-000xyz-7Q'],
    ['Message queued as <abc.123@mx.example>', 'abc.123@mx.example'],
    ['2.0.0 OK <x@y>', 'x@y'],
    ['Ok', undefined],
    ['OK: message queued', undefined],
    ['Ok two words', undefined],
    ['Accepted', undefined],
  ])('%j → %j', (line, id) => {
    expect(parseMessageId({ code: 250, lines: [line] })).toBe(id);
  });
});

describe('timeouts', () => {
  test('defaults are RFC 5321 §4.5.3.2 and overridable', () => {
    expect(DEFAULT_TIMEOUTS).toMatchObject({
      greeting: 300_000,
      command: 300_000,
      dataStart: 120_000,
      dataBlock: 180_000,
      dataTermination: 600_000,
    });
    expect(resolveTimeouts({ command: 10 }).command).toBe(10);
  });
  test.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31])('refuses %s', (value) => {
    expect(() => resolveTimeouts({ greeting: value })).toThrow(/timeouts.greeting/);
  });
});

describe('BINARYMIME (RFC 3030 §3)', () => {
  const caps = (...keywords: string[]) => parseEhloReply({ code: 250, lines: ['mx.example', ...keywords] });
  const binary: SendRequest = {
    from: 'a@example.com',
    to: ['b@example.org'],
    size: 5,
    unstuffedSize: 5,
    binary: true,
    body: 1,
  };
  const options = { maxMessageSize: 1000, chunking: true, pipelining: true };

  test('precheck: needs CHUNKING and BINARYMIME offered and chunking on', () => {
    expect(precheck(binary, caps('CHUNKING', 'BINARYMIME'), options)).toBeUndefined();
    for (const [offered, chunking] of [
      [caps('CHUNKING'), true],
      [caps('BINARYMIME'), true],
      [caps('CHUNKING', 'BINARYMIME'), false],
    ] as const) {
      expect(precheck(binary, offered, { ...options, chunking })?.code).toBe(
        ErrorCodes.BODY_BINARY_NOT_SUPPORTED,
      );
    }
    // Without 8BITMIME too: BINARYMIME declares the octets itself.
    expect(precheck(binary, caps('CHUNKING', 'BINARYMIME', 'SIZE 10'), options)).toBeUndefined();
  });

  test('MAIL carries BODY=BINARYMIME and the exact octet count; the transaction uses BDAT', () => {
    const offered = caps('PIPELINING', 'CHUNKING', 'BINARYMIME', '8BITMIME', 'SIZE 1000');
    const tx = createTransaction(1, binary, offered, options);
    expect(tx.transfer).toBe('bdat');
    expect(envelopeCommands(tx, offered)[0]).toMatchObject({ verb: 'MAIL', body: 'BINARYMIME', size: 5 });
    const text = createTransaction(2, { ...binary, binary: false, eightBit: true }, offered, options);
    expect(envelopeCommands(text, offered)[0]).toMatchObject({ verb: 'MAIL', body: '8BITMIME' });
  });
});
