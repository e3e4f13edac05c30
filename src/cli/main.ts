#!/usr/bin/env node
/**
 * `smtp-machine`: the command-line front end (send, check, password, simulate, demo). Dispatches to
 * a subcommand, maps every failure to a sysexits(3) code and never prints a secret.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CliError } from './args.js';
import { checkCommand } from './commands/check.js';
import type { CliCommand } from './commands/command.js';
import { demoCommand } from './commands/demo.js';
import { passwordCommand } from './commands/password.js';
import { sendCommand } from './commands/send.js';
import { simulateCommand } from './commands/simulate.js';
import { errorCodeOf } from './error-text.js';
import { ExitCodes, exitCodeForError } from './exit-codes.js';
import { type CliIo, Output, untilReaderGone } from './output.js';

const COMMANDS: readonly CliCommand[] = [
  sendCommand,
  checkCommand,
  passwordCommand,
  simulateCommand,
  demoCommand,
];

function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'Usage: smtp-machine <command> [options]',
    '',
    'An SMTP client with first-class Amazon SES support.',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `smtp-machine <command> --help` for the options of a command.',
    'Credentials come from the environment (SMTP_USER, SMTP_PASS) or stdin, never from flags.',
    '',
    'Exit codes: 0 ok, 64 usage, 66 input file unreadable, 69 rejected/unavailable,',
    '            70 internal error (a bug; demo: unexpected outcomes),',
    '            75 temporary failure (retry later), 78 configuration (credentials, TLS mode).',
  ].join('\n');
}

function version(): string {
  try {
    const url = new URL('../../package.json', import.meta.url);
    return (JSON.parse(readFileSync(url, 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Runs the CLI with `argv` (without node and the script) and returns the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = COMMANDS.find((c) => c.name === rest[0]);
    io.stdout.write(`${topic?.help ?? mainHelp()}\n`);
    return name === undefined ? ExitCodes.USAGE : ExitCodes.OK;
  }
  if (name === '--version' || name === '-V') {
    io.stdout.write(`${version()}\n`);
    return ExitCodes.OK;
  }
  const command = COMMANDS.find((c) => c.name === name);
  const json = rest.includes('--json');
  if (command === undefined) {
    new Output(io, json).failure(new CliError(ExitCodes.USAGE, `unknown command ${JSON.stringify(name)}`), [
      `commands: ${COMMANDS.map((c) => c.name).join(', ')}`,
    ]);
    return ExitCodes.USAGE;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    new Output(io, json).failure(error);
    return error instanceof CliError ? error.exitCode : exitCodeForError(error);
  }
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

/** Wires runCli to the real process: signals abort the command, the exit code becomes the process's. */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) {
      // A second signal ends the process now, by the signal's own default action: process.exit()
      // would wait for a thread-pool call that may never return (opening a FIFO nobody writes).
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.kill(process.pid, signal);
      return;
    }
    controller.abort(new Error(`received ${signal}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // The reader went away (EPIPE, `| head -1`): stop starting anything new as on a signal, let what
  // is in flight settle; the exit code then tells what was not done (75), never a blanket 0.
  const stdout = untilReaderGone(process.stdout, (error) => {
    const why = errorCodeOf(error) === 'EPIPE' ? 'closed by its reader (EPIPE)' : 'failed';
    process.stderr.write(`smtp-machine: stdout ${why}: stopping, nothing new is started\n`);
    controller.abort(new Error(`stdout ${why}`));
  });
  const code = await runCli(argv, {
    stdin: process.stdin,
    stdout,
    stderr: process.stderr,
    env: process.env,
    signal: controller.signal,
  });
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  process.exitCode = code;
  // Flush stdout/stderr, then exit even if a stray handle (a socket in TIME_WAIT teardown) lingers.
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

if (isEntryPoint()) await main();
