import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Capabilities, parseEhloReply } from '../../src/protocol/capabilities.js';

const ehlo = (...lines: string[]): Capabilities =>
  parseEhloReply({ code: 250, lines: ['mx.example.org', ...lines] });

/** Each boolean capability and the one EHLO keyword that turns it on. */
const FLAGS = {
  pipelining: 'PIPELINING',
  eightBitMime: '8BITMIME',
  smtpUtf8: 'SMTPUTF8',
  startTls: 'STARTTLS',
  chunking: 'CHUNKING',
  binaryMime: 'BINARYMIME',
  dsn: 'DSN',
  enhancedStatusCodes: 'ENHANCEDSTATUSCODES',
  requireTls: 'REQUIRETLS',
} as const;
type Flag = keyof typeof FLAGS;
const NAMES = Object.keys(FLAGS) as Flag[];

describe('parseEhloReply: each flag is its own keyword', () => {
  it.each(NAMES)('%s alone', (flag) => {
    const caps = ehlo(FLAGS[flag]);
    for (const other of NAMES) expect(caps[other]).toBe(other === flag);
  });

  it('any set of keywords, in any case and order: a flag is on exactly when its keyword is offered', () => {
    const offered = fc.uniqueArray(fc.constantFrom(...NAMES), { maxLength: NAMES.length });
    const casing = fc.constantFrom(
      (k: string) => k,
      (k: string) => k.toLowerCase(),
      (k: string) => k[0] + k.slice(1).toLowerCase(),
    );
    fc.assert(
      fc.property(
        offered,
        fc.array(casing, { minLength: NAMES.length, maxLength: NAMES.length }),
        (flags, cases) => {
          const caps = ehlo(...flags.map((flag, i) => (cases[i] as (k: string) => string)(FLAGS[flag])));
          for (const flag of NAMES) expect(caps[flag]).toBe(flags.includes(flag));
        },
      ),
      { numRuns: 300 },
    );
  });
});
