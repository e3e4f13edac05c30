/**
 * A private, real Postfix instance (master + smtpd) per test file: its own config, queue and data
 * directories in a temp dir, smtpd on a loopback port with STARTTLS (RFC 3207) from a test CA, and
 * `virtual` delivery of example.test mail into a Maildir the test reads. Other domains are discarded.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import type { PemPair } from '../../../src/testing/certificates.js';
import {
  type Availability,
  delay,
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

const POSTFIX = '/usr/sbin/postfix';
const POSTCONF = '/usr/sbin/postconf';
const INSTALL = 'apt-get install -y postfix';
/** Mail for this domain is delivered to the Maildir; anything else is discarded. */
export const POSTFIX_DOMAIN = 'example.test';

export interface PostfixOptions {
  /** Server certificate for STARTTLS. Without it, STARTTLS is not offered. */
  readonly tls?: PemPair;
  /** smtpd_tls_security_level = encrypt: MAIL is refused until STARTTLS. */
  readonly requireTls?: boolean;
  readonly messageSizeLimit?: number;
  /** Recipients refused at RCPT (access map REJECT: 554 5.7.1). */
  readonly rejectRecipients?: readonly string[];
  /** EHLO keywords smtpd does not offer (`smtpd_discard_ehlo_keywords`, e.g. `chunking`). */
  readonly hideKeywords?: readonly string[];
}

export interface DeliveredMessage {
  readonly file: string;
  /** The delivered file as bytes: Postfix's added headers (Return-Path, Delivered-To, Received…) then the message, LF line endings. */
  readonly bytes: Buffer;
}

export interface RunningPostfix extends RunningServer {
  /** Waits until at least `count` messages were delivered (or `timeoutMs` passed) and returns them all. */
  delivered(count: number, timeoutMs?: number): Promise<DeliveredMessage[]>;
  /** The instance's maillog (Postfix's own log: useful in failure messages). */
  log(): string;
}

function daemonDirectory(): string | undefined {
  try {
    return execFileSync(POSTCONF, ['-d', '-h', 'daemon_directory'], { encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}

function postfixUser(): { uid: number; gid: number } | undefined {
  try {
    const line = readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .find((entry) => entry.startsWith('postfix:'));
    const fields = line?.split(':');
    if (fields === undefined) return undefined;
    return { uid: Number(fields[2]), gid: Number(fields[3]) };
  } catch {
    return undefined;
  }
}

export function available(): Availability {
  const binaries = executablesPresent([POSTFIX, POSTCONF], INSTALL);
  if (!binaries.ok) return binaries;
  const daemons = daemonDirectory();
  if (daemons === undefined) return { ok: false, reason: 'postconf failed', install: INSTALL };
  const master = executablesPresent([join(daemons, 'master'), join(daemons, 'smtpd')], INSTALL);
  if (!master.ok) return master;
  if (postfixUser() === undefined) return { ok: false, reason: 'no "postfix" user', install: INSTALL };
  if (!isRoot()) {
    return {
      ok: false,
      reason: `a private Postfix instance needs root (running as ${userInfo().username})`,
      install: `${INSTALL} (and run the interop suite as root, e.g. in CI)`,
    };
  }
  return { ok: true };
}

function mainCf(dir: string, options: PostfixOptions): string {
  const lines = [
    'compatibility_level = 3.6',
    `queue_directory = ${dir}/queue`,
    `data_directory = ${dir}/data`,
    'mail_owner = postfix',
    'inet_interfaces = loopback-only',
    'inet_protocols = ipv4',
    'myhostname = postfix.test',
    'mydomain = postfix.test',
    'mydestination =',
    'mynetworks = 127.0.0.0/8',
    'smtpd_relay_restrictions = permit_mynetworks, reject',
    `virtual_mailbox_domains = ${POSTFIX_DOMAIN}`,
    `virtual_mailbox_base = ${dir}/mail`,
    'virtual_mailbox_maps = static:inbox/',
    'virtual_uid_maps = static:65534',
    'virtual_gid_maps = static:65534',
    'virtual_minimum_uid = 100',
    'default_transport = discard',
    'relay_transport = discard',
    'alias_maps =',
    'local_recipient_maps =',
    'smtputf8_enable = yes',
    'smtpd_error_sleep_time = 0',
    'in_flow_delay = 0',
    'biff = no',
    `maillog_file = ${dir}/maillog`,
    `maillog_file_prefixes = ${dir}`,
    `message_size_limit = ${options.messageSizeLimit ?? 10240000}`,
  ];
  if (options.rejectRecipients !== undefined && options.rejectRecipients.length > 0) {
    const entries = options.rejectRecipients.map((address) => `${address}=REJECT`).join(', ');
    lines.push(`smtpd_recipient_restrictions = check_recipient_access inline:{ ${entries} }`);
  }
  if (options.hideKeywords !== undefined && options.hideKeywords.length > 0)
    lines.push(`smtpd_discard_ehlo_keywords = ${options.hideKeywords.join(', ')}`);
  if (options.tls !== undefined) {
    lines.push(
      `smtpd_tls_cert_file = ${dir}/conf/cert.pem`,
      `smtpd_tls_key_file = ${dir}/conf/key.pem`,
      `smtpd_tls_security_level = ${options.requireTls ? 'encrypt' : 'may'}`,
      'smtpd_tls_session_cache_database =',
    );
  }
  return `${lines.join('\n')}\n`;
}

function masterCf(port: number): string {
  const services = [
    `${LOOPBACK}:${port} inet n - n - - smtpd`,
    'pickup unix n - n 60 1 pickup',
    'cleanup unix n - n - 0 cleanup',
    'qmgr unix n - n 300 1 qmgr',
    'tlsmgr unix - - n 1000? 1 tlsmgr',
    'rewrite unix - - n - - trivial-rewrite',
    'bounce unix - - n - 0 bounce',
    'defer unix - - n - 0 bounce',
    'trace unix - - n - 0 bounce',
    'verify unix - - n - 1 verify',
    'flush unix n - n 1000? 0 flush',
    'proxymap unix - - n - - proxymap',
    'showq unix n - n - - showq',
    'error unix - - n - - error',
    'retry unix - - n - - error',
    'discard unix - - n - - discard',
    'virtual unix - n n - - virtual',
    'anvil unix - - n - 1 anvil',
    'scache unix - - n - 1 scache',
    'postlog unix-dgram n - n - 1 postlogd',
  ];
  return `${services.join('\n')}\n`;
}

/** Writes the instance's directories and configuration; `postfix check` then creates the queue. */
function prepare(dir: string, port: number, options: PostfixOptions): void {
  const user = postfixUser();
  if (user === undefined) throw new Error('no postfix user');
  // Postfix daemons run as `postfix` and `virtual` as nobody: they must be able to traverse the dir.
  chmodSync(dir, 0o755);
  for (const sub of ['conf', 'queue', 'data', 'mail']) mkdirSync(join(dir, sub));
  chownSync(join(dir, 'data'), user.uid, user.gid);
  chmodSync(join(dir, 'mail'), 0o777);
  writeFileSync(join(dir, 'conf', 'main.cf'), mainCf(dir, options));
  writeFileSync(join(dir, 'conf', 'master.cf'), masterCf(port));
  if (options.tls !== undefined) {
    writeFileSync(join(dir, 'conf', 'cert.pem'), options.tls.cert);
    writeFileSync(join(dir, 'conf', 'key.pem'), options.tls.key, { mode: 0o600 });
  }
  execFileSync(POSTFIX, ['-c', join(dir, 'conf'), 'check'], { stdio: 'pipe' });
}

export function start(options: PostfixOptions = {}): Promise<RunningPostfix> {
  return retried(() => startOnce(options));
}

async function startOnce(options: PostfixOptions): Promise<RunningPostfix> {
  const tmp = makeTempDir('postfix');
  const dir = tmp.path;
  const readLog = () => {
    try {
      return readFileSync(join(dir, 'maillog'), 'utf8');
    } catch {
      return '';
    }
  };
  const port = await freePort();
  prepare(dir, port, options);
  const daemons = daemonDirectory() ?? '/usr/lib/postfix/sbin';
  // master in the foreground (-s, no -w) as our child, under the watchdog; -e is Postfix's own failsafe.
  const proc = spawnWatched(join(daemons, 'master'), ['-c', join(dir, 'conf'), '-s', '-e', '900']);
  const stop = async () => {
    await proc.stop(5000);
    tmp.remove();
  };
  try {
    await waitForPort(port, {
      timeoutMs: 10_000,
      failed: () => (proc.exited() === undefined ? undefined : `postfix master exited: ${readLog()}`),
    });
  } catch (error) {
    const log = readLog();
    await stop();
    throw new Error(`${(error as Error).message}\n${log}\n${proc.stderr()}`);
  }
  return {
    port,
    stop,
    log: readLog,
    delivered: async (count, timeoutMs = 10_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const messages = readMaildir(join(dir, 'mail', 'inbox', 'new'));
        if (messages.length >= count || Date.now() > deadline) return messages;
        await delay(50);
      }
    },
  };
}

function readMaildir(dir: string): DeliveredMessage[] {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return [];
  }
  return names.map((file) => ({ file, bytes: readFileSync(join(dir, file)) }));
}
