/**
 * Flag parsing: every failure is a usage error (64) naming the option, never its value; numbers are
 * whole or positive decimals written plainly, within bounds.
 */
import { describe, expect, it } from 'vitest';
import {
  CliError,
  oneOf,
  parseCommandArgs,
  parseInteger,
  parsePositive,
  usageError,
} from '../../src/cli/args.js';

const OPTIONS = {
  json: { type: 'boolean' },
  retry: { type: 'boolean' },
  region: { type: 'string' },
  to: { type: 'string', multiple: true },
} as const;

/** The CliError a call throws (fails the test when it does not throw one). */
function refusal(call: () => unknown): CliError {
  try {
    call();
  } catch (error) {
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(64);
    return error as CliError;
  }
  throw new Error('expected a usage error');
}

describe('parseCommandArgs', () => {
  it('--no-FLAG turns a boolean off; a multiple flag collects every value', () => {
    const { values } = parseCommandArgs(['--no-retry', '--to', 'a', '--to', 'b'], OPTIONS);
    expect(values.retry).toBe(false);
    expect(values.to).toEqual(['a', 'b']);
  });

  it.each([
    [['--bogus'], 'unknown option --bogus'],
    [['--secret=typed+secret+value'], 'unknown option --secret'],
    [['--json=typed+secret+value'], 'option --json does not take a value'],
    [['--region'], 'option --region needs a value'],
    // The next word starts with a dash: a forgotten value, or one that must be given as --option=-value.
    [
      ['--region', '--json'],
      'option --region needs a value; one that starts with "-" is given as --region=VALUE',
    ],
    [
      ['--region', '-- urgent'],
      'option --region needs a value; one that starts with "-" is given as --region=VALUE',
    ],
  ])('%j: %s', (argv, message) => {
    const error = refusal(() => parseCommandArgs(argv, OPTIONS));
    expect(error.message).toBe(message);
    expect(error.message).not.toContain('typed');
  });

  it('positionals: none by default, up to the limit; after -- a flag is a positional', () => {
    expect(refusal(() => parseCommandArgs(['host'], OPTIONS)).message).toBe(
      'this command takes no positional arguments (values go after their --option)',
    );
    expect(parseCommandArgs(['host'], OPTIONS, 1).positionals).toEqual(['host']);
    expect(refusal(() => parseCommandArgs(['a', 'b'], OPTIONS, 1)).message).toBe(
      'too many arguments (at most 1)',
    );
    const { values, positionals } = parseCommandArgs(['--', '--json'], OPTIONS, 1);
    expect(positionals).toEqual(['--json']);
    expect(values.json).toBeUndefined();
  });
});

describe('parseInteger', () => {
  it('takes the bounds themselves', () => {
    expect(parseInteger('1', '--port', 1, 65535)).toBe(1);
    expect(parseInteger('65535', '--port', 1, 65535)).toBe(65535);
  });

  it.each(['0', '65536', '99999999999999999999'])('%j is out of range', (text) => {
    expect(refusal(() => parseInteger(text, '--port', 1, 65535)).message).toBe(
      '--port must be between 1 and 65535',
    );
  });

  it.each(['', '12abc', 'abc12', '-1', '1.5', '1e3', ' 25', '0x19'])('%j is not a whole number', (text) => {
    expect(refusal(() => parseInteger(text, '--port', 1, 65535)).message).toBe(
      '--port must be a whole number',
    );
  });
});

describe('parsePositive', () => {
  it.each([
    ['2', 2],
    ['0.5', 0.5],
    ['10.25', 10.25],
  ])('%j → %d', (text, value) => {
    expect(parsePositive(text, '--rate')).toBe(value);
  });

  it.each(['0', '0.0', '', '-1', '.5', '1.', '1e3', '2x', 'Infinity', '1.5.2'])('%j is refused', (text) => {
    expect(refusal(() => parsePositive(text, '--rate')).message).toBe('--rate must be a positive number');
  });
});

describe('oneOf', () => {
  it('takes a listed value as written, refuses any other (case too) listing the choices', () => {
    expect(oneOf('none', '--security', ['implicit', 'none'])).toBe('none');
    expect(refusal(() => oneOf('NONE', '--security', ['implicit', 'none'])).message).toBe(
      '--security must be one of: implicit, none',
    );
  });
});

describe('usageError', () => {
  it('exit 64, with its hints and the library code it rewords', () => {
    const error = usageError('message: bad', ['try this'], 'SMTP_CONTROL_CHARACTER');
    expect(error).toMatchObject({ exitCode: 64, hints: ['try this'], code: 'SMTP_CONTROL_CHARACTER' });
  });
});
