/**
 * `smtp-machine simulate`: runs the local Amazon SES SMTP simulator (STARTTLS and implicit-TLS ports
 * on 127.0.0.1) until SIGINT/SIGTERM, and prints how to reach it: ports, CA file, example credentials.
 */
import { randomBytes } from 'node:crypto';
import { deriveSesSmtpPassword } from '../../ses/password.js';
import {
  type SesSimulator,
  SesSimulatorListenError,
  type SesSimulatorOptions,
  startSesSimulator,
} from '../../ses/simulator/simulator.js';
import {
  CliError,
  COMMON_OPTIONS,
  parseCommandArgs,
  parseInteger,
  parsePositive,
  usageError,
} from '../args.js';
import { ExitCodes } from '../exit-codes.js';
import { jsonHelp, SIMULATE_JSON } from '../json-shapes.js';
import { type CliIo, Output } from '../output.js';
import { type CliCommand, printedHelp } from './command.js';

const OPTIONS = {
  ...COMMON_OPTIONS,
  'starttls-port': { type: 'string' },
  'tls-port': { type: 'string' },
  rate: { type: 'string' },
  quota: { type: 'string' },
  sandbox: { type: 'boolean' },
  verify: { type: 'string', multiple: true },
  'mail-dir': { type: 'string' },
  region: { type: 'string' },
  'session-cap': { type: 'string' },
  'max-connections': { type: 'string' },
} as const;

const HELP = `Usage: smtp-machine simulate [options]

Runs a local Amazon SES SMTP endpoint on 127.0.0.1 until Ctrl-C (SIGINT) or SIGTERM:
SES's replies, authentication with derived SMTP passwords, sandbox identity checks,
send rate and daily quota, session message cap, message ids.

Options:
  --starttls-port N     STARTTLS port (like 587; default: any free port)
  --tls-port N          implicit-TLS port (like 465; default: any free port)
  --rate N              max send rate, recipients per second (454 above it)
  --quota N             daily quota, recipients per 24 h (454 above it)
  --sandbox             sandbox mode: unverified senders and recipients get 554 (default)
  --no-sandbox          production mode: every sender and recipient is accepted
  --verify ADDR         a verified identity (address or domain); repeatable
  --session-cap N       messages per connection before 421 (SES recycles connections)
  --max-connections N   concurrent connections before 421
  --mail-dir DIR        write each accepted message to DIR/<id>.eml
  --region REGION       region named in replies and used for the passwords (default us-east-1)
  --json                print the endpoint description as one JSON line
  -h, --help            show this help

Example:
  smtp-machine simulate --starttls-port 2587 --verify example.com --rate 14

${jsonHelp(SIMULATE_JSON)}`;

type Values = ReturnType<typeof parseCommandArgs<typeof OPTIONS>>['values'];

function port(value: string | undefined, flag: string): number | undefined {
  return value === undefined ? undefined : parseInteger(value, flag, 0, 65535);
}

function count(value: string | undefined, flag: string): number | undefined {
  return value === undefined ? undefined : parseInteger(value, flag, 1, 1_000_000_000);
}

function simulatorOptions(values: Values, secret: string, accessKeyId: string): SesSimulatorOptions {
  const region = values.region ?? 'us-east-1';
  const options: Record<string, unknown> = {
    region,
    credentials: [{ accessKeyId, secretAccessKey: secret }],
    sandbox: values.sandbox ?? true,
    starttlsPort: port(values['starttls-port'], '--starttls-port'),
    tlsPort: port(values['tls-port'], '--tls-port'),
    maxSendRate: values.rate === undefined ? undefined : parsePositive(values.rate, '--rate'),
    dailyQuota: count(values.quota, '--quota'),
    maxMessagesPerSession: count(values['session-cap'], '--session-cap'),
    maxConnections: count(values['max-connections'], '--max-connections'),
    verifiedIdentities: values.verify,
    mailDir: values['mail-dir'],
  };
  for (const key of Object.keys(options)) if (options[key] === undefined) delete options[key];
  return options as SesSimulatorOptions;
}

/** Out of the sandbox, any sender and recipient is accepted: no identity needs verifying. */
function verifiedText(info: {
  readonly verifiedIdentities: readonly string[];
  readonly sandbox: boolean;
}): string {
  if (info.verifiedIdentities.length > 0) return info.verifiedIdentities.join(', ');
  return info.sandbox
    ? '(none: only the mailbox simulator is accepted in the sandbox)'
    : '(none needed: out of the sandbox any address is accepted)';
}

function describe(sim: SesSimulator, accessKeyId: string, secret: string, options: SesSimulatorOptions) {
  return {
    host: sim.host,
    starttlsPort: sim.starttlsPort,
    tlsPort: sim.tlsPort,
    region: sim.region,
    caFile: sim.caFile,
    user: accessKeyId,
    pass: deriveSesSmtpPassword(secret, sim.region),
    exampleSecretAccessKey: secret,
    sandbox: options.sandbox ?? true,
    verifiedIdentities: options.verifiedIdentities ?? [],
  };
}

/** A sender the simulator accepts: any outside the sandbox, a verified one inside (none: undefined). */
function exampleSender(info: ReturnType<typeof describe>): string | undefined {
  if (!info.sandbox) return 'sender@example.com';
  const identity = info.verifiedIdentities[0];
  if (identity === undefined) return undefined;
  return identity.includes('@') ? identity : `sender@${identity}`;
}

function humanDescription(info: ReturnType<typeof describe>): string {
  return [
    `SES simulator (${info.region}${info.sandbox ? ', sandbox' : ''}) listening on ${info.host}`,
    `  STARTTLS port:      ${info.starttlsPort}   (like 587)`,
    `  implicit TLS port:  ${info.tlsPort}   (like 465)`,
    `  CA certificate:     ${info.caFile}`,
    `  verified:           ${verifiedText(info)}`,
    '',
    'Example credentials (a generated fake key; the password is derived from it):',
    `  export SMTP_USER=${info.user}`,
    `  export SMTP_PASS='${info.pass}'`,
    `  (fake secret access key: ${info.exampleSecretAccessKey})`,
    '',
    'Try:',
    `  smtp-machine check ${info.host}:${info.starttlsPort} --security starttls --ca ${info.caFile}`,
    `  smtp-machine send --host ${info.host} --port ${info.tlsPort} --security implicit --ca ${info.caFile} \\`,
    `    --from ${exampleSender(info) ?? 'sender@example.com'} --to success@simulator.amazonses.com --subject hi --text hello`,
    ...(exampleSender(info) === undefined
      ? ['  (in the sandbox that sender is refused, 554, until you start with --verify example.com)']
      : []),
    '',
    'Press Ctrl-C to stop.',
  ].join('\n');
}

async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(argv, OPTIONS);
  if (printedHelp(values.help, HELP, io)) return ExitCodes.OK;
  if (values.sandbox === false && values.verify !== undefined && values.verify.length > 0) {
    throw usageError('--verify only matters in the sandbox; drop it or drop --no-sandbox');
  }
  const output = new Output(io, values.json === true);
  const accessKeyId = `AKIA${randomBytes(8).toString('hex').toUpperCase()}`;
  const secret = randomBytes(30).toString('base64');
  const options = simulatorOptions(values, secret, accessKeyId);
  const simulator = await startSesSimulator(options).catch((error: unknown) => {
    if (error instanceof SesSimulatorListenError) {
      const flag = error.listener === 'tls' ? '--tls-port' : '--starttls-port';
      throw new CliError(ExitCodes.UNAVAILABLE, `cannot listen on port ${error.port} (${error.code})`, [
        `pick another ${flag}, or omit it to use a free port`,
      ]);
    }
    throw error;
  });
  try {
    const info = describe(simulator, accessKeyId, secret, options);
    output.result(info, () => humanDescription(info));
    await aborted(io.signal);
    const { stats } = simulator;
    output.note(`stopping: ${stats.accepted} accepted, ${stats.connections} connections`);
  } finally {
    await simulator.close();
  }
  return ExitCodes.OK;
}

function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

export const simulateCommand: CliCommand = {
  name: 'simulate',
  summary: 'run a local Amazon SES SMTP simulator until Ctrl-C',
  help: HELP,
  run,
};
