/** The shape of a CLI subcommand: it parses its own argv and returns a sysexits code. */
import type { CliIo } from '../output.js';

export interface CliCommand {
  readonly name: string;
  readonly summary: string;
  readonly help: string;
  run(argv: readonly string[], io: CliIo): Promise<number>;
}
