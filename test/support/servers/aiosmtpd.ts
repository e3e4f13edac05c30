/**
 * aiosmtpd (Python) per test: STARTTLS (RFC 3207), AUTH PLAIN/LOGIN (RFC 4954), and a recorder
 * that reports each message's exact bytes after dot-unstuffing (RFC 5321 §4.5.2), CRLFs included.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PemPair } from '../../../src/testing/certificates.js';
import {
  type Availability,
  delay,
  executablesPresent,
  makeTempDir,
  type RunningServer,
  spawnWatched,
} from './harness.js';

export const PYTHON = '/usr/bin/python3';
const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'aiosmtpd_recorder.py');
const INSTALL = 'apt-get install -y python3-aiosmtpd';

export interface AiosmtpdOptions {
  readonly tls?: PemPair;
  readonly requireStartTls?: boolean;
  readonly credentials?: readonly { user: string; pass: string }[];
  /** MAIL is refused (530) until AUTH succeeds. */
  readonly authRequired?: boolean;
  readonly smtpUtf8?: boolean;
  readonly dataSizeLimit?: number;
}

export interface RecordedMessage {
  readonly mailFrom: string;
  readonly mailOptions: readonly string[];
  readonly rcptTos: readonly string[];
  /** Exactly what arrived between the 354 and the terminator, dot-stuffing removed. */
  readonly content: Buffer;
  readonly secure: boolean;
  readonly authenticated: boolean;
  readonly login: string | null;
}

export interface RunningAiosmtpd extends RunningServer {
  /** Messages recorded so far. */
  messages(): RecordedMessage[];
  /** Waits until `count` messages were recorded (or `timeoutMs` passed). */
  waitForMessages(count: number, timeoutMs?: number): Promise<RecordedMessage[]>;
  log(): string;
}

let cachedAvailability: Availability | undefined;

export function available(): Availability {
  cachedAvailability ??= probe();
  return cachedAvailability;
}

function probe(): Availability {
  const python = executablesPresent([PYTHON], INSTALL);
  if (!python.ok) return python;
  try {
    execFileSync(PYTHON, ['-c', 'import aiosmtpd'], { stdio: 'pipe' });
    return { ok: true };
  } catch {
    return { ok: false, reason: `${PYTHON} cannot import aiosmtpd`, install: INSTALL };
  }
}

export async function start(options: AiosmtpdOptions = {}): Promise<RunningAiosmtpd> {
  const tmp = makeTempDir('aiosmtpd');
  const args = [SCRIPT, '--port', '0'];
  if (options.tls !== undefined) {
    const cert = join(tmp.path, 'cert.pem');
    const key = join(tmp.path, 'key.pem');
    writeFileSync(cert, options.tls.cert);
    writeFileSync(key, options.tls.key, { mode: 0o600 });
    args.push('--tls-cert', cert, '--tls-key', key);
  }
  if (options.requireStartTls) args.push('--require-starttls');
  for (const { user, pass } of options.credentials ?? []) args.push('--auth', `${user}:${pass}`);
  if (options.authRequired) args.push('--auth-required');
  if (options.smtpUtf8) args.push('--smtputf8');
  if (options.dataSizeLimit !== undefined) args.push('--data-size-limit', String(options.dataSizeLimit));
  // The recorder binds port 0 itself and reports it: no port race.
  const proc = spawnWatched(PYTHON, args);
  const stop = async () => {
    await proc.stop();
    tmp.remove();
  };
  let port: number;
  try {
    port = await readyPort(proc.stdout, proc.exited, () => proc.stderr());
  } catch (error) {
    await stop();
    throw error;
  }
  const messages = () => parseRecords(proc.stdout());
  return {
    port,
    stop,
    messages,
    log: () => proc.stderr(),
    waitForMessages: async (count, timeoutMs = 5000) => {
      const deadline = Date.now() + timeoutMs;
      while (messages().length < count && Date.now() < deadline) await delay(20);
      return messages();
    },
  };
}

async function readyPort(
  stdout: () => string,
  exited: () => string | undefined,
  stderr: () => string,
): Promise<number> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const match = /^READY (\d+)$/m.exec(stdout());
    if (match?.[1] !== undefined) return Number(match[1]);
    if (exited() !== undefined) throw new Error(`aiosmtpd recorder exited: ${stderr()}`);
    if (Date.now() > deadline) throw new Error(`aiosmtpd recorder not ready: ${stderr()}`);
    await delay(20);
  }
}

interface RawRecord {
  mailFrom: string;
  mailOptions: string[];
  rcptTos: string[];
  contentBase64: string;
  secure: boolean;
  authenticated: boolean;
  login: string | null;
}

function parseRecords(stdout: string): RecordedMessage[] {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => {
      const raw = JSON.parse(line) as RawRecord;
      return {
        mailFrom: raw.mailFrom,
        mailOptions: raw.mailOptions,
        rcptTos: raw.rcptTos,
        content: Buffer.from(raw.contentBase64, 'base64'),
        secure: raw.secure,
        authenticated: raw.authenticated,
        login: raw.login,
      };
    });
}
