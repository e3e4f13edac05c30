import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { composeMessage } from '../../src/message/compose.js';

const base = {
  from: 'a@example.org',
  to: ['bob@example.net'],
  date: new Date(Date.UTC(2026, 10, 29, 7, 5, 9)),
  random: (size: number) => new Uint8Array(size),
};
const headerLines = (subject: string) => {
  const text = new TextDecoder().decode(composeMessage({ ...base, subject }).raw);
  return text.slice(0, text.indexOf('\r\n\r\n')).split('\r\n');
};

describe('header folding (RFC 5322 §2.2.3: lines near 78 characters)', () => {
  test.prop([fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 1, maxLength: 40 })], { numRuns: 500 })(
    'a subject of ASCII words up to 30 letters: every header line within 78 and the words kept',
    (lengths) => {
      const subject = lengths.map((n, i) => String.fromCharCode(97 + (i % 26)).repeat(n)).join(' ');
      const lines = headerLines(subject);
      for (const line of lines) expect(line.length).toBeLessThanOrEqual(78);
      const written = lines.join('\r\n').replace(/\r\n /g, ' ');
      expect(written).toContain(`\r\nSubject: ${subject}\r\n`);
    },
  );

  it('a space at exactly the 79th character is not a fold point: the line would be 79', () => {
    const lines = headerLines(`${'a'.repeat(60)} ${'b'.repeat(9)} ${'c'.repeat(5)}`);
    expect(lines.filter((l) => l.length > 78)).toEqual([]);
  });

  it('after a word longer than a line, the words that follow still fold within 78', () => {
    const lines = headerLines(`${'x'.repeat(100)} ${'word '.repeat(40).trim()}`);
    expect(lines.filter((l) => l.length > 78)).toEqual([` ${'x'.repeat(100)}`]);
  });
});
