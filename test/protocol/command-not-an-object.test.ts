import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors/codes.js';
import { SmtpUsageError } from '../../src/errors/smtp-error.js';
import { type Command, encodeCommand, encodeCommands, validateCommand } from '../../src/protocol/command.js';

// A JavaScript caller may pass anything: a value that is not a command object gets a typed
// SmtpUsageError naming the 'command' field, never a TypeError from reading `.verb` off it.
describe('a command that is not an object', () => {
  it.each([undefined, null, 42, 'EHLO', true])('%j → SMTP_INVALID_ARGUMENT on command', (value) => {
    for (const action of [
      () => encodeCommand(value as unknown as Command),
      () => validateCommand(value as unknown as Command),
      () => encodeCommands([value as unknown as Command]),
    ]) {
      let caught: unknown;
      try {
        action();
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(SmtpUsageError);
      expect((caught as SmtpUsageError).code).toBe(ErrorCodes.INVALID_ARGUMENT);
      expect((caught as SmtpUsageError).field).toBe('command');
    }
  });
});
