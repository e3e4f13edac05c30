/**
 * Command-line parsing on node:util parseArgs: every parse failure becomes a CliError with exit
 * code 64, and messages name the offending option but never echo a value (it might be a secret).
 */
import { parseArgs } from 'node:util';
import type { ErrorCode } from '../errors/codes.js';
import { errorCodeOf, messageOf } from './error-text.js';
import { type ExitCode, ExitCodes } from './exit-codes.js';

/** A failure the CLI reports in one line (plus hints) and turns into an exit code. */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly exitCode: ExitCode;
  readonly hints: readonly string[];
  /** The stable SMTP_* code when the failure is a library refusal reworded for the CLI (e.g. the composer's). */
  readonly code: ErrorCode | undefined;
  constructor(exitCode: ExitCode, message: string, hints: readonly string[] = [], code?: ErrorCode) {
    super(message);
    this.exitCode = exitCode;
    this.hints = hints;
    this.code = code;
  }
}

export function usageError(message: string, hints: readonly string[] = [], code?: ErrorCode): CliError {
  return new CliError(ExitCodes.USAGE, message, hints, code);
}

export type OptionSpec = {
  readonly type: 'string' | 'boolean';
  readonly multiple?: boolean;
  readonly short?: string;
  readonly default?: string | boolean;
};
export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

type Values<S extends OptionSpecs> = {
  [K in keyof S]: S[K]['type'] extends 'boolean'
    ? S[K]['multiple'] extends true
      ? boolean[] | undefined
      : boolean | undefined
    : S[K]['multiple'] extends true
      ? string[] | undefined
      : string | undefined;
};

export interface Parsed<S extends OptionSpecs> {
  readonly values: Values<S>;
  readonly positionals: readonly string[];
}

/** Options every subcommand takes. */
export const COMMON_OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  json: { type: 'boolean' },
} as const satisfies OptionSpecs;

export function parseCommandArgs<S extends OptionSpecs>(
  argv: readonly string[],
  options: S,
  maxPositionals = 0,
): Parsed<S> {
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({
      args: [...argv],
      options: options as Parameters<typeof parseArgs>[0] extends infer P
        ? P extends { options?: infer O }
          ? O
          : never
        : never,
      allowPositionals: true,
      allowNegative: true,
      strict: true,
    }) as typeof parsed;
  } catch (error) {
    throw usageError(describeParseError(error));
  }
  if (parsed.positionals.length > maxPositionals) {
    throw usageError(
      maxPositionals === 0
        ? 'this command takes no positional arguments (values go after their --option)'
        : `too many arguments (at most ${maxPositionals})`,
    );
  }
  return { values: parsed.values as Values<S>, positionals: parsed.positionals };
}

function describeParseError(error: unknown): string {
  const code = errorCodeOf(error);
  const message = messageOf(error);
  const option = /'(-{1,2}[A-Za-z0-9-]+)/.exec(message)?.[1] ?? 'an option';
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${option}`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (/does not take an argument/.test(message)) return `option ${option} does not take a value`;
      // A value that starts with a dash reads as the next option: it is given as --option=-value.
      if (/argument is ambiguous/.test(message))
        return `option ${option} needs a value; one that starts with "-" is given as ${option}=VALUE`;
      return `option ${option} needs a value`;
    default:
      return 'invalid arguments';
  }
}

/** A whole number within bounds, from a flag value. */
export function parseInteger(value: string, flag: string, min: number, max: number): number {
  if (!/^\d+$/.test(value)) throw usageError(`${flag} must be a whole number`);
  const number = Number(value);
  if (number < min || number > max) throw usageError(`${flag} must be between ${min} and ${max}`);
  return number;
}

/** A positive number (fractions allowed), from a flag value. */
export function parsePositive(value: string, flag: string): number {
  const number = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || !(number > 0)) throw usageError(`${flag} must be a positive number`);
  return number;
}

export function oneOf<T extends string>(value: string, flag: string, choices: readonly T[]): T {
  if ((choices as readonly string[]).includes(value)) return value as T;
  throw usageError(`${flag} must be one of: ${choices.join(', ')}`);
}
