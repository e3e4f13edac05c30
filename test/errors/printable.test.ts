/**
 * printable / printableLines (threats.md: log injection): exactly which characters are escaped and
 * how. The fuzz property in test/threats/replies.test.ts shows nothing unsafe is left; these pin that
 * nothing safe is touched (TAB) and the escape format, in both functions.
 */
import { describe, expect, it } from 'vitest';
import { printable, printableLines } from '../../src/errors/printable.js';

describe('printable', () => {
  it.each<[string, string, string]>([
    ['NUL', '\x00', '\\x00'],
    ['LF', '\n', '\\x0a'],
    ['CR', '\r', '\\x0d'],
    ['ESC', '\x1b', '\\x1b'],
    ['DEL', '\x7f', '\\x7f'],
    ['C1 NEL', '\x85', '\\x85'],
    ['C1 CSI', '\x9b', '\\x9b'],
    ['line separator', '\u2028', '\\u2028'],
    ['paragraph separator', '\u2029', '\\u2029'],
    ['left-to-right embedding', '\u202a', '\\u202a'],
    ['right-to-left override', '\u202e', '\\u202e'],
    ['left-to-right isolate', '\u2066', '\\u2066'],
    ['pop directional isolate', '\u2069', '\\u2069'],
  ])('escapes %s', (_name, character, escaped) => {
    expect(printable(`a${character}b${character}`)).toBe(`a${escaped}b${escaped}`);
    if (character !== '\n')
      expect(printableLines(`a${character}b${character}`)).toBe(`a${escaped}b${escaped}`);
  });

  it('keeps TAB and printable text, ASCII or not (RFC 5321 §4.2 allows TAB in reply text)', () => {
    const text = '550\t5.1.1 <a@example.test>: user unknown ~ é € \u00a0 \u200b';
    expect(printable(text)).toBe(text);
    expect(printableLines(text)).toBe(text);
  });

  it('printableLines keeps LF but escapes CR, so a line cannot be rewritten', () => {
    expect(printableLines('one\ntwo\r\nthree')).toBe('one\ntwo\\x0d\nthree');
    expect(printable('one\ntwo\r\nthree')).toBe('one\\x0atwo\\x0d\\x0athree');
  });
});
