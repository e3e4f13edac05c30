/**
 * `smtp-machine demo`: the README's main job end to end against the in-process SES simulator: a few
 * hundred messages under a send rate, a session cap and the sandbox, with a live progress bar and
 * a summary showing throttling slowed and retried, 554 not retried, an oversized message refused
 * before upload, and connections recycled after 421.
 */
import { ErrorCodes } from '../../errors/codes.js';
import { composeMessage } from '../../message/compose.js';
import { type SesSimulator, startSesSimulator } from '../../ses/simulator/simulator.js';
import { COMMON_OPTIONS, parseCommandArgs, parseInteger } from '../args.js';
import { profileFor } from '../client-config.js';
import type { DelivererOptions, Outgoing } from '../deliverer.js';
import { deliverWithProgress } from '../delivery-run.js';
import { ExitCodes } from '../exit-codes.js';
import { DEMO_JSON, jsonHelp } from '../json-shapes.js';
import { type CliIo, Output, ProgressBar, progressMode } from '../output.js';
import { type CliCommand, printedHelp } from './command.js';
import { checkExpectations, type DemoReport, demoSummaryText } from './demo-report.js';

const OPTIONS = {
  ...COMMON_OPTIONS,
  messages: { type: 'string' },
  progress: { type: 'boolean' },
} as const;

const HELP = `Usage: smtp-machine demo [--messages N] [--json] [--progress | --no-progress]

Starts the local Amazon SES simulator in-process (sandbox, a send rate of 40 recipients/s,
25 messages per connection) and sends N composed messages (default 300, 100 to 5000) through 3 connections,
with a live progress bar on stderr. It shows, and checks:
  - throttling: the client paces itself at 50 recipients/s, above the account's 40;
    454 "Maximum sending rate exceeded" → the delivery pool halves its rate and retries
  - an unverified sender: 554 "Email address is not verified" → rejected, never retried
  - an oversized message (> 10 MB) → refused in send(), before it is queued (MESSAGE_TOO_LARGE; no attempt)
  - connection recycling: 421 "Maximum message count per session reached" → reconnect, no message lost
Retry waits are shortened (0.2 s, 0.4 s, 0.8 s, 1.6 s) so the demo ends in seconds; real SES
sends use the documented 5 s, 10 s, 30 s, 20 min schedule.

Exit status: 0 when every outcome matches the expectation, 70 otherwise.

${jsonHelp(DEMO_JSON)}`;

/**
 * Fewer messages never show what the demo checks: 3 connections reach the 25-message session cap
 * (a recycle) only past 75, and the client's 50/s must outrun SES's 40/s for a while to be throttled.
 */
export const DEMO_MIN_MESSAGES = 100;

export const DEMO_SETTINGS = {
  sendRate: 40,
  clientRate: 50,
  retryDelaysMs: [200, 400, 800, 1600],
  sessionCap: 25,
  connections: 3,
  unverified: 5,
  sender: 'Demo Sender <sender@example.com>',
  unverifiedSender: 'news@unverified.example.net',
  oversizeOctets: 8_000_000,
} as const;

function buildMessages(total: number): { messages: Outgoing[]; expected: DemoReport['expected'] } {
  const messages: Outgoing[] = [];
  const unverifiedAt = new Set(
    Array.from({ length: DEMO_SETTINGS.unverified }, (_, i) => Math.floor(((i + 1) * total) / 7)),
  );
  const oversizeAt = Math.floor(total / 2) + 1;
  for (let id = 1; id <= total; id++) {
    const to = id % 3 === 0 ? `success+${id}@simulator.amazonses.com` : `user${id}@example.com`;
    const from = unverifiedAt.has(id) ? DEMO_SETTINGS.unverifiedSender : DEMO_SETTINGS.sender;
    const composed = composeMessage({
      from,
      to: [to],
      subject: `Demo message ${id}`,
      text: `Hello from smtp-machine, message ${id} of ${total}.`,
      ...(id === oversizeAt
        ? {
            attachments: [
              { filename: 'large.bin', content: new Uint8Array(DEMO_SETTINGS.oversizeOctets).fill(0x5a) },
            ],
          }
        : {}),
    });
    messages.push({ id, from: composed.envelope.from, to: composed.envelope.to, raw: composed.raw });
  }
  const rejected = [...unverifiedAt].filter((id) => id !== oversizeAt && id <= total).length;
  return { messages, expected: { delivered: total - rejected - 1, rejected, tooLarge: 1 } };
}

async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(argv, OPTIONS);
  if (printedHelp(values.help, HELP, io)) return ExitCodes.OK;
  const output = new Output(io, values.json === true);
  const total =
    values.messages === undefined
      ? 300
      : parseInteger(values.messages, '--messages', DEMO_MIN_MESSAGES, 5000);
  const simulator = await startSesSimulator({
    sandbox: true,
    verifiedIdentities: ['example.com'],
    maxSendRate: DEMO_SETTINGS.sendRate,
    maxMessagesPerSession: DEMO_SETTINGS.sessionCap,
  });
  try {
    output.note(
      `SES simulator on 127.0.0.1:${simulator.starttlsPort} (STARTTLS): sandbox, verified example.com, ` +
        `${DEMO_SETTINGS.sendRate} recipients/s, ${DEMO_SETTINGS.sessionCap} messages per connection`,
    );
    const { messages, expected } = buildMessages(total);
    const report = await deliver(simulator, messages, expected, io, values.progress);
    // Cut short by Ctrl-C or SIGTERM: its counts are not wrong, only incomplete (75, as send and check).
    const interrupted = io.signal.aborted;
    const problems = interrupted
      ? ['interrupted before every message was sent: the counts are not checked']
      : checkExpectations(report);
    output.result({ ...report, ok: problems.length === 0, problems }, () =>
      demoSummaryText(report, problems),
    );
    if (interrupted) return ExitCodes.TEMP_FAIL;
    return problems.length === 0 ? ExitCodes.OK : ExitCodes.SOFTWARE;
  } finally {
    await simulator.close();
  }
}

async function deliver(
  simulator: SesSimulator,
  messages: readonly Outgoing[],
  expected: DemoReport['expected'],
  io: CliIo,
  progress: boolean | undefined,
): Promise<DemoReport> {
  const bar = new ProgressBar(io.stderr, messages.length, progressMode(progress));
  const started = performance.now();
  const { results, tally } = await deliverWithProgress(messages, demoOptions(simulator, io.signal), bar);
  const seconds = (performance.now() - started) / 1000;
  results.sort((a, b) => a.id - b.id);
  return {
    expected,
    results,
    seconds,
    pool: tally.snapshot(),
    server: {
      accepted: simulator.stats.accepted,
      connections: simulator.stats.connections,
      refused: { ...simulator.stats.rejected },
    },
    tooLargeCode: ErrorCodes.MESSAGE_TOO_LARGE,
  };
}

/** The simulator's STARTTLS port with its first user, SES reply rules and the shortened retry waits. */
function demoOptions(simulator: SesSimulator, signal: AbortSignal): DelivererOptions {
  const user = simulator.users[0];
  return {
    client: {
      host: '127.0.0.1',
      port: simulator.starttlsPort,
      security: 'starttls',
      tls: { ca: simulator.caPem },
      ...(user === undefined ? {} : { auth: user }),
      clientName: 'demo.smtp-machine.local',
    },
    profile: profileFor('ses'),
    retry: { delaysMs: DEMO_SETTINGS.retryDelaysMs, repeatLast: true, deadlineMs: 30_000 },
    connections: DEMO_SETTINGS.connections,
    rate: DEMO_SETTINGS.clientRate,
    signal,
  };
}

export const demoCommand: CliCommand = {
  name: 'demo',
  summary: 'send 300 messages through a local SES simulator: throttling, rejections, recycling',
  help: HELP,
  run,
};
