/**
 * Postfix `smtp-sink` per test on a loopback port: a real, independent SMTP implementation with
 * fault knobs (drop or 421 after a command, soft/hard rejects, hidden ESMTP extensions, delays).
 * Messages are dumped to a file (-D) so tests can see what arrived; counters (-c) are parsed.
 */
import { chmodSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type Availability,
  executablesPresent,
  freePort,
  isRoot,
  LOOPBACK,
  makeTempDir,
  type RunningServer,
  retried,
  spawnWatched,
  waitForPort,
} from './harness.js';

export const SMTP_SINK = '/usr/sbin/smtp-sink';
const INSTALL = 'apt-get install -y postfix';

/** smtp-sink command names: CONNECT, HELO, EHLO, MAIL, RCPT, DATA, '.', RSET, NOOP, QUIT, … */
export type SinkCommand =
  | 'CONNECT'
  | 'HELO'
  | 'EHLO'
  | 'MAIL'
  | 'RCPT'
  | 'DATA'
  | '.'
  | 'RSET'
  | 'NOOP'
  | 'QUIT';

export interface SmtpSinkOptions {
  /** -q: disconnect without a reply after these commands. */
  readonly dropAfter?: readonly SinkCommand[];
  /** -Q: reply 421 and disconnect after these commands. */
  readonly reply421After?: readonly SinkCommand[];
  /** -r: soft (4xx) reject. Implies hidePipelining (smtp-sink's rule). */
  readonly softReject?: readonly SinkCommand[];
  /** -f: hard (5xx) reject. Implies hidePipelining. */
  readonly hardReject?: readonly SinkCommand[];
  readonly softRejectReply?: string; // -b
  readonly hardRejectReply?: string; // -B
  readonly hideEsmtp?: boolean; // -e
  readonly hideAuth?: boolean; // -a
  readonly hidePipelining?: boolean; // -p
  readonly hide8BitMime?: boolean; // -8
  readonly hideEnhancedStatusCodes?: boolean; // -E
  /** -w: seconds to wait before answering DATA. */
  readonly dataDelaySeconds?: number;
  /** -W: seconds to wait before answering a command (e.g. { command: 'MAIL', seconds: 2 }). */
  readonly commandDelays?: readonly { command: SinkCommand; seconds: number }[];
  readonly hostname?: string; // -h
}

export interface SinkMessage {
  readonly helo: string | undefined;
  readonly mailArgs: string;
  readonly rcptArgs: readonly string[];
  /** The message as smtp-sink dumped it: dot-stuffing removed, lines joined with '\n'. */
  readonly content: string;
}

export interface SinkCounters {
  readonly sessions: number;
  readonly quits: number;
  readonly messages: number;
}

export interface RunningSmtpSink extends RunningServer {
  /** Messages dumped so far (smtp-sink dumps when the final dot arrives, even with -q/-Q '.'). */
  messages(): SinkMessage[];
  /** The last counters smtp-sink printed (they update at session end, QUIT and '.'); the readiness probe counts as one session. */
  counters(): SinkCounters;
  /** smtp-sink's stderr (fatal errors). */
  log(): string;
}

/** Separates messages in the dump file (smtp-sink's -S start string, C escapes allowed). */
const MESSAGE_MARK = '=====smtp-sink-message=====';

export function available(): Availability {
  return executablesPresent([SMTP_SINK], INSTALL);
}

/** The smtp-sink argument list for the options (exported so the mapping can be unit-tested). */
export function sinkArguments(options: SmtpSinkOptions, dumpFile: string): string[] {
  const args: string[] = ['-c', '-D', dumpFile, '-S', `${MESSAGE_MARK}\\n`, '-t', '30'];
  if (isRoot()) args.push('-u', 'nobody');
  const list = (flag: string, commands: readonly SinkCommand[] | undefined) => {
    if (commands !== undefined && commands.length > 0) args.push(flag, commands.join(','));
  };
  list('-q', options.dropAfter);
  list('-Q', options.reply421After);
  list('-r', options.softReject);
  list('-f', options.hardReject);
  if (options.softRejectReply !== undefined) args.push('-b', options.softRejectReply);
  if (options.hardRejectReply !== undefined) args.push('-B', options.hardRejectReply);
  if (options.hideEsmtp) args.push('-e');
  if (options.hideAuth) args.push('-a');
  if (options.hidePipelining) args.push('-p');
  if (options.hide8BitMime) args.push('-8');
  if (options.hideEnhancedStatusCodes) args.push('-E');
  if (options.dataDelaySeconds !== undefined) args.push('-w', String(options.dataDelaySeconds));
  for (const { command, seconds } of options.commandDelays ?? []) args.push('-W', `${command}:${seconds}`);
  if (options.hostname !== undefined) args.push('-h', options.hostname);
  return args;
}

/** Starts smtp-sink on a free loopback port; retries on a lost port race. */
export function start(options: SmtpSinkOptions = {}): Promise<RunningSmtpSink> {
  return retried(() => startOnce(options));
}

async function startOnce(options: SmtpSinkOptions): Promise<RunningSmtpSink> {
  const dir = makeTempDir('sink');
  // smtp-sink drops to `nobody` (required as root) and must still write its dump file.
  chmodSync(dir.path, 0o777);
  const dumpFile = join(dir.path, 'dump');
  const port = await freePort();
  const proc = spawnWatched(SMTP_SINK, [...sinkArguments(options, dumpFile), `${LOOPBACK}:${port}`, '32']);
  const stop = async () => {
    await proc.stop();
    dir.remove();
  };
  try {
    await waitForPort(port, {
      timeoutMs: 5000,
      failed: () => (proc.exited() === undefined ? undefined : `smtp-sink exited: ${proc.stderr()}`),
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    port,
    stop,
    messages: () => parseDump(readDump(dumpFile)),
    counters: () => parseCounters(proc.stdout()),
    log: () => proc.stderr(),
  };
}

function readDump(file: string): string {
  try {
    return readFileSync(file, 'latin1');
  } catch {
    return '';
  }
}

/** Splits the -D dump into messages: smtp-sink's X- headers and Received, then the content, then an empty line. */
export function parseDump(dump: string): SinkMessage[] {
  return dump
    .split(`${MESSAGE_MARK}\n`)
    .slice(1)
    .map((record) => {
      const lines = record.split('\n');
      let helo: string | undefined;
      let mailArgs = '';
      const rcptArgs: string[] = [];
      let i = 0;
      for (; i < lines.length; i++) {
        const line = lines[i] ?? '';
        if (line.startsWith('X-Helo-Args: ')) helo = line.slice(13);
        else if (line.startsWith('X-Mail-Args: ')) mailArgs = line.slice(13);
        else if (line.startsWith('X-Rcpt-Args: ')) rcptArgs.push(line.slice(13));
        else if (line.startsWith('Received: ')) break;
      }
      // Received: is three lines (from …, by …, date); the content follows.
      const content = lines.slice(i + 3).join('\n');
      // Each record ends with the content's last '\n' and smtp-sink's extra empty line.
      return { helo, mailArgs, rcptArgs, content: content.replace(/\n\n$/, '\n') };
    });
}

export function parseCounters(stdout: string): SinkCounters {
  const all = [...stdout.matchAll(/sess=(\d+) quit=(\d+) mesg=(\d+)/g)];
  const last = all[all.length - 1];
  if (last === undefined) return { sessions: 0, quits: 0, messages: 0 };
  return { sessions: Number(last[1]), quits: Number(last[2]), messages: Number(last[3]) };
}
