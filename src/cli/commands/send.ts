/**
 * `smtp-machine send`: one message from flags or an .eml file, or a JSON Lines batch, through the
 * client with the delivery layer's retries. Results: text or JSON (batch: JSON Lines); sysexits codes.
 */
import { ErrorCodes } from '../../errors/codes.js';
import type { ClientLogger } from '../../transport/client-options.js';
import { COMMON_OPTIONS, oneOf, parseCommandArgs, parseInteger, parsePositive, usageError } from '../args.js';
import { clientOptions, type Provider, profileFor, providerFor, retryFor } from '../client-config.js';
import {
  CONNECTION_HELP,
  CONNECTION_OPTIONS,
  type ConnectionConfig,
  resolveConnection,
  STDIN_FILES,
} from '../connection.js';
import type { DelivererOptions, Outgoing } from '../deliverer.js';
import { deliverWithProgress } from '../delivery-run.js';
import { combineExitCodes, ExitCodes } from '../exit-codes.js';
import { jsonHelp, SEND_BATCH_JSON, SEND_JSON } from '../json-shapes.js';
import { type InvalidLine, messageFromEml, messageFromFlags, messagesFromBatch } from '../message-input.js';
import { type CliIo, Output, ProgressBar, progressMode } from '../output.js';
import { type CliCommand, printedHelp } from './command.js';
import { checkCommandLine, printBatchSummary, printResult } from './send-report.js';

/** Retried failures that `check` can diagnose (TLS mode, firewall, certificate). */
const CONNECTION_TROUBLE: ReadonlySet<string> = new Set([
  ErrorCodes.TIMEOUT,
  ErrorCodes.TLS_FAILED,
  ErrorCodes.CONNECTION_FAILED,
]);

const OPTIONS = {
  ...COMMON_OPTIONS,
  ...CONNECTION_OPTIONS,
  from: { type: 'string' },
  to: { type: 'string', multiple: true },
  cc: { type: 'string', multiple: true },
  bcc: { type: 'string', multiple: true },
  subject: { type: 'string' },
  text: { type: 'string' },
  'text-file': { type: 'string' },
  html: { type: 'string' },
  'html-file': { type: 'string' },
  attach: { type: 'string', multiple: true },
  header: { type: 'string', multiple: true },
  eml: { type: 'string' },
  binary: { type: 'boolean' },
  batch: { type: 'string' },
  retry: { type: 'boolean' },
  deadline: { type: 'string' },
  'retry-delays': { type: 'string' },
  rate: { type: 'string' },
  connections: { type: 'string' },
  'max-size': { type: 'string' },
  provider: { type: 'string' },
  progress: { type: 'boolean' },
  verbose: { type: 'boolean', short: 'v' },
} as const;

const HELP = `Usage: smtp-machine send --host HOST --from ADDR --to ADDR [--subject S] [--text T] [options]
       smtp-machine send --host HOST --eml FILE --from ADDR --to ADDR [options]
       smtp-machine send --host HOST --batch FILE.jsonl [--from ADDR] [options]

Sends mail. Retries temporary failures (4yz, lost connections) on the provider's schedule
(Amazon SES: 5 s, 10 s, 30 s, 20 min), slows down on throttling, reconnects when the server
recycles the connection, and never retries permanent refusals (5yz).

Message:
  --from ADDR          sender ("Name <addr>" allowed)
  --to ADDR            recipient; repeatable (also --cc, --bcc)
  --subject TEXT
  --text TEXT          plain-text body (or --text-file FILE)
  --html HTML          HTML body (or --html-file FILE)
  --attach FILE        attachment; repeatable
  --header "N: V"      extra header, e.g. "X-SES-CONFIGURATION-SET: main"; repeatable
  --eml FILE           send this RFC 5322 file as is (envelope from --from/--to)
  --binary             with --eml: its octets unchanged, as BODY=BINARYMIME over BDAT (RFC 3030;
                       the server must offer CHUNKING and BINARYMIME — SES does not)
  --batch FILE         JSON Lines, one {"from","to","cc","bcc","subject","text","html"} per line
                       (a line with any other field is invalid, not sent);
                       results are JSON Lines on stdout, a progress bar on stderr; --from is
                       the default sender, the other message flags are refused (64)

${CONNECTION_HELP}

Delivery:
  --no-retry           fail at the first error
  --retry-delays LIST  waits in seconds between attempts, e.g. 1,5,30 (the last repeats);
                       default: the provider's schedule
  --deadline SECONDS   stop retrying a message this long after its first attempt (default 3600)
  --rate N             client-side pacing, recipients per second (halves on SES throttling)
  --connections N      parallel connections for --batch (default 1)
  --max-size BYTES     refuse larger messages before upload (default 10485760, the SES limit)
  --provider NAME      ses | generic reply rules and retry schedule (default: ses for --region
                       or an email-smtp.* host)

Output:
  --json               JSON result (a summary line last with --batch)
  --progress           force the progress bar (default: only when stderr is a terminal);
  --no-progress        never draw it
  -v, --verbose        the SMTP transcript on stderr (credentials redacted)
  -h, --help           show this help

Exit status: 0 all delivered, 69 rejected, 75 temporary failure or unknown outcome
(try again later), 64 usage, 66 unreadable file, 78 configuration (credentials, TLS mode).

${jsonHelp(SEND_JSON, SEND_BATCH_JSON.result, SEND_BATCH_JSON.invalid, SEND_BATCH_JSON.summary)}`;

type Values = ReturnType<typeof parseCommandArgs<typeof OPTIONS>>['values'];

async function messages(
  values: Values,
  signal: AbortSignal,
): Promise<{ list: Outgoing[]; invalid: readonly InvalidLine[] }> {
  const limits = { signal, maxBytes: maxSizeOf(values) };
  const sources = [values.eml, values.batch].filter((v) => v !== undefined);
  if (sources.length > 1) throw usageError('give --eml or --batch, not both');
  if (values.binary === true && values.eml === undefined) throw usageError('--binary needs --eml FILE');
  if (values.batch !== undefined) {
    const { messages: list, invalid } = await messagesFromBatch(values.batch, values, signal);
    if (list.length === 0 && invalid.length === 0) throw usageError('the --batch file has no messages');
    return { list, invalid };
  }
  if (values.eml !== undefined)
    return { list: [await messageFromEml(values.eml, values, limits)], invalid: [] };
  if (values.to === undefined && values.cc === undefined && values.bcc === undefined) {
    throw usageError('at least one --to (or --cc/--bcc) is required');
  }
  return { list: [await messageFromFlags(values, limits)], invalid: [] };
}

/** stdin is read once: --pass-stdin takes all of it, so no file flag may name it too (--ca: resolveConnection). */
function refuseStdinTwice(values: Values): void {
  if (values['pass-stdin'] !== true) return;
  const files: [string, string | undefined][] = [
    ['--eml', values.eml],
    ['--batch', values.batch],
    ['--text-file', values['text-file']],
    ['--html-file', values['html-file']],
    ...(values.attach ?? []).map((path): [string, string] => ['--attach', path]),
  ];
  const flag = files.find(([, path]) => path !== undefined && STDIN_FILES.has(path))?.[0];
  if (flag !== undefined) {
    throw usageError(`--pass-stdin reads the password from stdin: ${flag} cannot read stdin too`);
  }
}

/** --max-size: the message limit (SES's 10 MB by default). */
function maxSizeOf(values: Values): number {
  return values['max-size'] === undefined
    ? 10_485_760
    : parseInteger(values['max-size'], '--max-size', 1, 2 ** 40);
}

function parseDelays(text: string): number[] {
  return text.split(',').map((part) => Math.round(parseNonNegative(part.trim(), '--retry-delays') * 1000));
}

function parseNonNegative(text: string, flag: string): number {
  return text === '0' ? 0 : parsePositive(text, flag);
}

async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(argv, OPTIONS);
  if (printedHelp(values.help, HELP, io)) return ExitCodes.OK;
  const output = new Output(io, values.json === true);
  refuseStdinTwice(values);
  const config = await resolveConnection(values, io);
  const { provider, options } = deliveryOptions(values, config, output, io.signal);
  const { list, invalid } = await messages(values, io.signal);
  const batch = values.batch !== undefined;
  const bar = new ProgressBar(io.stderr, list.length, batch ? progressMode(values.progress) : 'never');
  for (const line of invalid)
    output.record({
      line: line.id,
      status: 'invalid',
      error: { message: line.problem, ...(line.code === undefined ? {} : { code: line.code }) },
    });
  const { results, tally } = await deliverWithProgress(list, options, bar, (result) => {
    if (batch) output.record({ line: result.id, ...result, id: undefined });
  });
  const exitCode = combineExitCodes([
    ...invalid.map(() => ExitCodes.USAGE),
    ...results.map((r) => r.exitCode),
  ]);
  if (batch)
    printBatchSummary(output, results, tally, { invalid: invalid.length, exitCode, provider, config });
  else printResult(output, results[0], provider, config);
  return exitCode;
}

/** The delivery flags as pool options, each checked before any message file is read. */
function deliveryOptions(
  values: Values,
  config: ConnectionConfig,
  output: Output,
  signal: AbortSignal,
): { provider: Provider; options: DelivererOptions } {
  const provider = providerFor(
    config,
    values.provider === undefined
      ? undefined
      : oneOf<Provider>(values.provider, '--provider', ['ses', 'generic']),
  );
  const maxSize = maxSizeOf(values);
  const deadlineMs =
    values.deadline === undefined ? undefined : parsePositive(values.deadline, '--deadline') * 1000;
  const connections =
    values.connections === undefined ? 1 : parseInteger(values.connections, '--connections', 1, 64);
  const rate = values.rate === undefined ? undefined : parsePositive(values.rate, '--rate');
  const delays = values['retry-delays'] === undefined ? undefined : parseDelays(values['retry-delays']);
  const options: DelivererOptions = {
    client: clientOptions(config, maxSize, values.verbose ? transcriptLogger(output) : undefined),
    profile: profileFor(provider),
    retry: retryFor(provider, values.retry !== false, deadlineMs, delays),
    connections,
    ...(rate === undefined ? {} : { rate }),
    signal,
    ...(values.batch !== undefined || output.json ? {} : { onEvent: retryNotes(output, config) }),
  };
  return { provider, options };
}

/** -v: the SMTP transcript on stderr (the client hands over lines already redacted). */
function transcriptLogger(output: Output): ClientLogger {
  return (event) => {
    if (event.type === 'transcript')
      output.note(`${event.direction === 'client' ? 'C:' : 'S:'} ${event.text}`);
  };
}

/** One message in text mode: each scheduled retry is told on stderr, with `check` for connection trouble. */
function retryNotes(output: Output, config: ConnectionConfig): NonNullable<DelivererOptions['onEvent']> {
  return (event) => {
    if (event.type !== 'retry-scheduled') return;
    const diagnose = CONNECTION_TROUBLE.has(String(event.code))
      ? `; if it persists, run \`${checkCommandLine(config)}\``
      : '';
    output.note(
      `retrying in ${(event.delayMs / 1000).toFixed(1)} s (${event.cause}: ${event.code})${diagnose}`,
    );
  };
}

export const sendCommand: CliCommand = {
  name: 'send',
  summary: 'send a message (flags, .eml or a JSON Lines batch) with retries',
  help: HELP,
  run,
};
