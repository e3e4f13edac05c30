import { describe, expect, test } from 'vitest';
import { DEFAULT_TIMEOUTS, resolveTimeouts } from '../../src/session/timeouts.js';
import { parseMessageId } from '../../src/session/transaction.js';

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
