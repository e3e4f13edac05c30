import { describe, expect, it } from 'vitest';
import { ReplyParser } from '../../src/protocol/reply-parser.js';

const enc = (text: string): Uint8Array => new TextEncoder().encode(text);

function heldAfter(text: string): ReplyParser {
  const parser = new ReplyParser();
  parser.push(enc(text));
  return parser;
}

// unfinished() is what a close in the middle of a reply reports (threats.md §6): the complete lines
// of the cut reply with their code and hyphen, then the line being received.
describe('ReplyParser.unfinished: the text of a reply cut short', () => {
  it('is undefined when nothing is held', () => {
    expect(new ReplyParser().unfinished()).toBeUndefined();
    expect(heldAfter('250 OK\r\n').unfinished()).toBeUndefined();
  });

  it('keeps the code and hyphen of each complete line of a multi-line reply', () => {
    expect(heldAfter('250-2.0.0 Ok\r\n250-queued as 4F2A9\r\n250 ').unfinished()).toBe(
      '250-2.0.0 Ok 250-queued as 4F2A9 250 ',
    );
    expect(heldAfter('452-4.3.1 Insufficient\r\n').unfinished()).toBe('452-4.3.1 Insufficient');
  });

  it('drops the CR of a line cut between its CR and LF', () => {
    expect(heldAfter('250 2.0.0 Ok queued\r').unfinished()).toBe('250 2.0.0 Ok queued');
  });

  it('cuts the text at maxChars characters and marks the cut', () => {
    const parser = heldAfter(`250 ${'x'.repeat(400)}`);
    const text = parser.unfinished();
    expect(text).toBe(`250 ${'x'.repeat(196)}…`);
    expect(parser.unfinished(10)).toBe('250 xxxxxx…');
    expect(heldAfter('250 abcdef').unfinished(10)).toBe('250 abcdef');
  });
});
