/**
 * `smtp-machine check HOST[:PORT]`: the SES troubleshooting page's manual steps, automated (DNS,
 * TCP, TLS mode, greeting, EHLO, STARTTLS per RFC 3207, AUTH per RFC 4954), each failure with its cause and fix.
 */

import { checkTarget } from '../../transport/client-options.js';
import { COMMON_OPTIONS, parseCommandArgs } from '../args.js';
import { CONNECTION_HELP, CONNECTION_OPTIONS, resolveConnection } from '../connection.js';
import { ExitCodes } from '../exit-codes.js';
import { CHECK_JSON, jsonHelp } from '../json-shapes.js';
import { type CliIo, Output } from '../output.js';
import { runChecks, type StepReport } from './check-steps.js';
import { type CliCommand, printedHelp } from './command.js';

const OPTIONS = { ...COMMON_OPTIONS, ...CONNECTION_OPTIONS } as const;

const HELP = `Usage: smtp-machine check HOST[:PORT] [options]
       smtp-machine check --region REGION [--port N] [options]

Diagnoses the connection to an SMTP server step by step, as the Amazon SES troubleshooting
page does by hand: DNS lookup, TCP connect (timed), TLS mode (implicit TLS vs STARTTLS, and
which one the port really speaks), greeting, EHLO capabilities, STARTTLS and the certificate,
and AUTH when SMTP_USER/SMTP_PASS are set. Each failure comes with its likely cause and fix.

${CONNECTION_HELP}

Output:
  --json               the steps as one JSON document
  -h, --help           show this help

Exit status: 0 when every step passed, else the code of the first failure
(69 unreachable/refused, 75 temporary, 78 configuration such as TLS mode or credentials).

${jsonHelp(CHECK_JSON)}`;

const MARK: Record<StepReport['status'], string> = { pass: ' ok ', fail: 'FAIL', skip: 'skip', warn: 'warn' };

function human(target: string, steps: readonly StepReport[], exitCode: number): string {
  const width = Math.max(...steps.map((s) => s.step.length));
  const lines = [`Checking ${target}`];
  for (const step of steps) {
    const time = step.ms === undefined ? '' : ` (${step.ms} ms)`;
    lines.push(`[${MARK[step.status]}] ${step.step.padEnd(width)}  ${step.summary}${time}`);
    for (const detail of step.details ?? []) lines.push(`       ${''.padEnd(width)}  ${detail}`);
    for (const advice of step.advice) lines.push(`       ${''.padEnd(width)}  fix: ${advice}`);
  }
  lines.push(exitCode === 0 ? 'All checks passed.' : `Check failed (exit ${exitCode}).`);
  return lines.join('\n');
}

/**
 * After SIGINT/SIGTERM the step in progress failed only because it was stopped: it is reported as
 * an 'interrupted' step instead (exit 75: nothing was concluded, run it again).
 */
function interrupted(steps: StepReport[], signal: AbortSignal): StepReport[] {
  if (!signal.aborted) return steps;
  const last = steps.at(-1);
  const during = last?.status === 'fail' ? steps.pop()?.step : undefined;
  const reason = signal.reason instanceof Error ? `: ${signal.reason.message}` : '';
  steps.push({
    step: 'interrupted',
    status: 'fail',
    summary: `stopped${during === undefined ? '' : ` during ${during}`}${reason}`,
    advice: [],
    exitCode: ExitCodes.TEMP_FAIL,
  });
  return steps;
}

async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS, 1);
  if (printedHelp(values.help, HELP, io)) return ExitCodes.OK;
  const output = new Output(io, values.json === true);
  const config = await resolveConnection(values, io, positionals[0]);
  // What send refuses before dialling (a host with a port or control characters, a bad EHLO name)
  // is a usage error here too, not a failed step (75, 69) after a DNS lookup or a connection.
  checkTarget(config.host, config.clientName);
  const steps = interrupted(await runChecks(config, io.signal), io.signal);
  const failed = steps.find((s) => s.status === 'fail');
  const exitCode = failed?.exitCode ?? ExitCodes.OK;
  const target = `${config.host}:${config.port} (${config.security})`;
  output.result(
    {
      ok: failed === undefined,
      exitCode,
      host: config.host,
      port: config.port,
      security: config.security,
      steps,
    },
    () => human(target, steps, exitCode),
  );
  return exitCode;
}

export const checkCommand: CliCommand = {
  name: 'check',
  summary: 'diagnose the connection to an SMTP server (DNS, TCP, TLS mode, EHLO, AUTH)',
  help: HELP,
  run,
};
