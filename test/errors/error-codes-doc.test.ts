import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors/codes.js';

const doc = readFileSync(new URL('../../spec/error-codes.md', import.meta.url), 'utf8');
const documented = new Set([...doc.matchAll(/^\| `(SMTP_[A-Z0-9_]+)` \|/gm)].map((m) => m[1]));

describe('spec/error-codes.md', () => {
  it('documents every stable error code', () => {
    const missing = Object.values(ErrorCodes).filter((code) => !documented.has(code));
    expect(missing).toEqual([]);
  });

  it('documents no code that does not exist', () => {
    const known = new Set<string>(Object.values(ErrorCodes));
    expect([...documented].filter((code) => code !== undefined && !known.has(code))).toEqual([]);
  });
});
