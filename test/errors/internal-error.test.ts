/**
 * internalError: a failure that is neither the server's nor the network's. Nothing tells whether the
 * message went out (threats.md §7), and its message names the thrown value's type, never its text.
 */
import { describe, expect, it } from 'vitest';
import { internalError, thrownKind } from '../../src/errors/internal-error.js';
import { SmtpError } from '../../src/errors/smtp-error.js';

describe('internalError', () => {
  it('is a local SMTP_INTERNAL_ERROR whose outcome is unknown, never retryable, the thrown value its cause', () => {
    const thrown = new TypeError('secret-token-123 is not a function');
    const error = internalError(thrown);
    expect(error).toBeInstanceOf(SmtpError);
    expect(error).toMatchObject({
      code: 'SMTP_INTERNAL_ERROR',
      origin: 'local',
      outcome: 'unknown',
      retryable: false,
    });
    expect(error.cause).toBe(thrown);
    expect(error.message).toContain('TypeError');
    expect(error.message).not.toContain('secret-token-123');
  });

  it.each<[unknown, string]>([
    [new RangeError('x'), 'RangeError'],
    [null, 'null'],
    [undefined, 'undefined'],
    ['a string', 'string'],
    [42, 'number'],
    [{ message: 'x' }, 'object'],
  ])('names %o by its type only: %s', (thrown, kind) => {
    expect(thrownKind(thrown)).toBe(kind);
    expect(internalError(thrown).message).toContain(`with a ${kind} instead`);
  });
});
