/**
 * Connection flags shared by `send` and `check` (--host/--port/--security/--ca/--region/
 * --client-name/--timeout) and credentials from SMTP_USER/SMTP_PASS or stdin, never from flags.
 */
import { close as closeCallback, constants, createReadStream, open as openCallback } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import * as net from 'node:net';
import { addAbortSignal, type Readable } from 'node:stream';
import { promisify } from 'node:util';
import { ErrorCodes } from '../errors/codes.js';
import { SmtpUsageError } from '../errors/smtp-error.js';
import { MAX_TIMER_MS } from '../protocol/limits.js';
import { defaultSecurityForPort, isSesRegionSyntax, regionFromHost, sesSmtpHost } from '../ses/endpoints.js';
import type { Security } from '../session/types.js';
import { CliError, oneOf, parseInteger, parsePositive, usageError } from './args.js';
import { ExitCodes } from './exit-codes.js';
import type { CliIo } from './output.js';
import { firstLine, readStdinSecret } from './secrets.js';
import { untilAborted } from './until-aborted.js';

export const CONNECTION_OPTIONS = {
  host: { type: 'string' },
  port: { type: 'string' },
  security: { type: 'string' },
  ca: { type: 'string' },
  region: { type: 'string' },
  'client-name': { type: 'string' },
  timeout: { type: 'string' },
  'pass-stdin': { type: 'boolean' },
} as const;

export const CONNECTION_HELP = `Connection:
  --host HOST          SMTP server (or HOST:PORT)
  --region REGION      Amazon SES: connect to email-smtp.REGION.amazonaws.com (with
                       --host: an SES endpoint's own region must agree)
  --port N             default 587, or 465 with --security implicit
  --security MODE      implicit | starttls | starttls-opportunistic | none
                       (default: implicit on 465/2465, starttls elsewhere; 465 takes
                       implicit only, RFC 8314)
  --ca FILE            trust this CA certificate (PEM) instead of the system roots
  --client-name NAME   the name sent in EHLO (default: this machine's host name)
  --timeout SECONDS    connect, greeting and command-reply timeout (default 10; the reply
                       to the final dot may take up to 10 minutes, RFC 5321 4.5.3.2.6)
Credentials (never as flags):
  SMTP_USER, SMTP_PASS environment variables, or --pass-stdin to read the password from stdin`;

export const SECURITY_MODES: readonly Security[] = ['implicit', 'starttls', 'starttls-opportunistic', 'none'];

export interface ConnectionConfig {
  readonly host: string;
  readonly port: number;
  readonly security: Security;
  readonly region: string | undefined;
  readonly caFile: string | undefined;
  readonly caPem: string | undefined;
  readonly clientName: string | undefined;
  readonly timeoutMs: number;
  readonly credentials: { readonly user: string; readonly pass: string } | undefined;
}

type ConnectionValues = { readonly [K in keyof typeof CONNECTION_OPTIONS]?: string | boolean | undefined };

/** The names of standard input as a file: what --pass-stdin has read to its end already. */
export const STDIN_FILES: ReadonlySet<string> = new Set(['/dev/stdin', '/dev/fd/0', '/proc/self/fd/0']);

/** Splits `host:port` / `[v6]:port`; a bare IPv6 address has no port. */
export function splitHostPort(text: string): { host: string; port: string | undefined } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracketed) return { host: bracketed[1] ?? '', port: bracketed[2] };
  const parts = /^([^:]+):(\d+)$/.exec(text);
  if (parts) return { host: parts[1] ?? '', port: parts[2] };
  return { host: text, port: undefined };
}

export async function resolveConnection(
  values: ConnectionValues,
  io: CliIo,
  positionalHost?: string,
): Promise<ConnectionConfig> {
  const { host, port, security, region } = resolveTarget(values, positionalHost);
  const caFile = values.ca as string | undefined;
  if (values['pass-stdin'] === true && caFile !== undefined && STDIN_FILES.has(caFile)) {
    throw usageError('--pass-stdin reads the password from stdin: --ca cannot read stdin too');
  }
  const timeoutMs = values.timeout === undefined ? 10_000 : timeoutMsOf(values.timeout as string);
  return {
    host,
    port,
    security,
    region: region ?? regionFromHost(host),
    caFile,
    caPem: caFile === undefined ? undefined : await readCa(caFile, io.signal),
    clientName: values['client-name'] as string | undefined,
    timeoutMs,
    credentials: await readCredentials(io, values['pass-stdin'] === true),
  };
}

/** The --ca file: PEM text holding at least one certificate (anything else would only fail the handshake). */
async function readCa(path: string, signal: AbortSignal): Promise<string> {
  const pem = await readInput(path, '--ca', { signal });
  // OpenSSL's TRUSTED CERTIFICATE form (openssl x509 -addtrust, p11-kit bundles) is a CA to Node too.
  if (!/-----BEGIN (?:TRUSTED )?CERTIFICATE-----/.test(pem)) {
    throw usageError('the file given to --ca holds no PEM certificate (-----BEGIN CERTIFICATE-----)');
  }
  return pem;
}

/**
 * --timeout in seconds, as whole ms: one that rounds to 0 ms, or waits longer than a Node timer can
 * (about 24.8 days), is refused here rather than dialled with (check) or reworded by createClient.
 */
function timeoutMsOf(text: string): number {
  const ms = Math.round(parsePositive(text, '--timeout') * 1000);
  if (ms < 1 || ms > MAX_TIMER_MS) {
    throw usageError(`--timeout must be between 0.001 and ${Math.floor(MAX_TIMER_MS / 1000)} seconds`);
  }
  return ms;
}

/** Host and port from HOST[:PORT], --host, --port or --region; the security mode defaults by port. */
function resolveTarget(
  values: ConnectionValues,
  positionalHost: string | undefined,
): { host: string; port: number; security: Security; region: string | undefined } {
  const region = values.region as string | undefined;
  if (region !== undefined && !isSesRegionSyntax(region)) {
    throw usageError('--region must be an AWS region name such as eu-west-1');
  }
  const hostText = positionalHost ?? (values.host as string | undefined);
  if (hostText !== undefined && positionalHost !== undefined && values.host !== undefined) {
    throw usageError('give the host once: as an argument or with --host');
  }
  const target = hostText === undefined ? undefined : splitHostPort(hostText);
  const host = target?.host ?? (region === undefined ? undefined : sesSmtpHost(region));
  if (host === undefined || host === '') throw usageError('no server: give --host HOST or --region REGION');
  // SES checks a password against the region of the endpoint dialled: another --region is a mistake.
  const hostRegion = regionFromHost(host);
  if (region !== undefined && hostRegion !== undefined && hostRegion !== region) {
    throw usageError(
      `--region ${region} does not match the SES endpoint's region ${hostRegion} (${host}): SES checks the password against the region dialled`,
    );
  }
  const portText = (values.port as string | undefined) ?? target?.port;
  if (values.port !== undefined && target?.port !== undefined) throw usageError('give the port once');
  const securityFlag =
    values.security === undefined
      ? undefined
      : oneOf(values.security as string, '--security', SECURITY_MODES);
  const port =
    portText !== undefined
      ? parseInteger(portText, '--port', 1, 65535)
      : securityFlag === 'implicit'
        ? 465
        : 587;
  return { host, port, security: securityFlag ?? defaultSecurityForPort(port), region };
}

async function readCredentials(io: CliIo, passStdin: boolean): Promise<ConnectionConfig['credentials']> {
  const user = io.env.SMTP_USER;
  let pass = io.env.SMTP_PASS;
  if (passStdin) {
    if (io.stdin.isTTY === true) throw usageError('--pass-stdin needs the password piped on stdin');
    pass = firstLine(await readStdinSecret(io.stdin, 'the password', io.signal));
  }
  if (user === undefined || user === '') {
    if (passStdin || (pass !== undefined && pass !== '')) {
      throw usageError('a password was given but SMTP_USER is not set');
    }
    return undefined;
  }
  if (pass === undefined || pass === '') {
    throw usageError(
      passStdin
        ? '--pass-stdin read no password: stdin was empty'
        : 'SMTP_USER is set but no password: set SMTP_PASS or use --pass-stdin',
    );
  }
  return { user, pass };
}

const openFd = promisify(openCallback);

export interface InputLimits {
  /** SIGINT/SIGTERM: ends the read (a FIFO whose writer stays open would hold the command forever). */
  readonly signal?: AbortSignal;
  /** A regular file larger than this is refused before it is read: its message could not be sent. */
  readonly maxBytes?: number;
}

/**
 * Reads a file named by a flag. A missing or unreadable file is exit 66 (EX_NOINPUT); one over
 * `maxBytes` is SMTP_MESSAGE_TOO_LARGE (69), a regular file without reading it; an interrupted read
 * is 75.
 */
async function readLimited(path: string, flag: string, limits: InputLimits): Promise<Buffer> {
  const { signal, maxBytes } = limits;
  try {
    const info = await stat(path);
    if (info.isFile() && maxBytes !== undefined && info.size > maxBytes) throw tooLarge(flag, maxBytes);
    if (info.isFIFO() || info.isSocket()) return await readPipe(path, flag, limits);
    if (!info.isFile()) return await readDevice(path, flag, limits);
    const reading = readFile(path, signal === undefined ? {} : { signal });
    return await (signal === undefined ? reading : untilAborted(reading, signal));
  } catch (error) {
    if (error instanceof SmtpUsageError || error instanceof CliError) throw error;
    if (signal?.aborted) {
      throw new CliError(ExitCodes.TEMP_FAIL, `interrupted while reading the file given to ${flag}`);
    }
    const code = (error as { code?: string }).code ?? 'unreadable';
    throw new CliError(ExitCodes.NO_INPUT, `cannot read the file given to ${flag} (${code})`);
  }
}

function tooLarge(flag: string, maxBytes: number): SmtpUsageError {
  return new SmtpUsageError({
    code: ErrorCodes.MESSAGE_TOO_LARGE,
    field: flag,
    message: `${flag}: the file is larger than the limit of ${maxBytes} octets (--max-size); not sent`,
  });
}

/**
 * A FIFO (mkfifo, a shell's process substitution): opened as reading one always is (waiting for a
 * writer), then read through the event loop. A read blocked in the thread pool could be neither
 * interrupted nor left behind: Node waits for it when the process exits.
 */
async function readPipe(path: string, flag: string, limits: InputLimits): Promise<Buffer> {
  const fd = await openPipe(path, limits.signal);
  return collect(new net.Socket({ fd, readable: true, writable: false }), flag, limits, undefined);
}

/**
 * Opens a FIFO for reading, which waits in the thread pool until a writer opens it; an abort meanwhile
 * opens it for writing (non-blocking: our pending open already counts as a reader) and closes it
 * again, so the open returns, and the read that follows ends as interrupted (the signal is aborted).
 */
async function openPipe(path: string, signal: AbortSignal | undefined): Promise<number> {
  // Already interrupted: not opened at all (readLimited reports the interruption).
  signal?.throwIfAborted();
  const opening = openFd(path, 'r');
  if (signal === undefined) return opening;
  let opened = false;
  const unblock = (tries: number): void => {
    if (opened) return;
    openFd(path, constants.O_WRONLY | constants.O_NONBLOCK).then(
      (writer) => closeCallback(writer, () => {}),
      // ENXIO: our open is still queued in the thread pool, not yet a reader: try again shortly.
      () => {
        if (tries > 0) setTimeout(() => unblock(tries - 1), 10).unref();
      },
    );
  };
  const onAbort = (): void => unblock(200);
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    return await opening;
  } finally {
    opened = true;
    signal.removeEventListener('abort', onAbort);
  }
}

/** How much of a device with no --max-size (`--batch /dev/zero`, `--ca /dev/urandom`) is read. */
export const DEVICE_INPUT_LIMIT = 64 * 1024 * 1024;

/**
 * A character or block device (`/dev/zero`, a terminal): it has no size to check beforehand and
 * may never end, so it is read as a stream and given up past the bound — `maxBytes` (too large,
 * 69) or DEVICE_INPUT_LIMIT (64).
 */
function readDevice(path: string, flag: string, limits: InputLimits): Promise<Buffer> {
  return collect(createReadStream(path, { highWaterMark: 64 * 1024 }), flag, limits, DEVICE_INPUT_LIMIT);
}

/**
 * All of `stream`, ended by `signal` (the read then rejects) and given up past `maxBytes` (too
 * large, 69) or else `fallbackLimit` (64); the stream is destroyed either way.
 */
async function collect(
  stream: Readable,
  flag: string,
  { signal, maxBytes }: InputLimits,
  fallbackLimit: number | undefined,
): Promise<Buffer> {
  if (signal !== undefined) addAbortSignal(signal, stream);
  const limit = maxBytes ?? fallbackLimit;
  const chunks: Buffer[] = [];
  let octets = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      octets += chunk.length;
      if (limit !== undefined && octets > limit) {
        throw maxBytes !== undefined
          ? tooLarge(flag, maxBytes)
          : usageError(`the device given to ${flag} gave more than ${limit} octets; not read further`);
      }
      chunks.push(chunk);
    }
  } finally {
    stream.destroy();
  }
  return Buffer.concat(chunks);
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/** A text file named by a flag: UTF-8, or exit 64 (read as anything else, it would be sent garbled). */
export async function readInput(path: string, flag: string, limits: InputLimits = {}): Promise<string> {
  const bytes = await readLimited(path, flag, limits);
  try {
    return STRICT_UTF8.decode(bytes);
  } catch {
    throw usageError(`the file given to ${flag} is not UTF-8 text`);
  }
}

export async function readInputBytes(
  path: string,
  flag: string,
  limits: InputLimits = {},
): Promise<Uint8Array> {
  return new Uint8Array(await readLimited(path, flag, limits));
}
