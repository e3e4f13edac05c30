/** The shape of a CLI subcommand: it parses its own argv and returns a sysexits code. */
import type { CliIo } from '../output.js';

export interface CliCommand {
  readonly name: string;
  readonly summary: string;
  readonly help: string;
  run(argv: readonly string[], io: CliIo): Promise<number>;
}

/** Writes `text` when -h/--help was given: the command then returns 0 and does nothing else. */
export function printedHelp(help: boolean | undefined, text: string, io: CliIo): boolean {
  if (help !== true) return false;
  io.stdout.write(`${text}\n`);
  return true;
}
