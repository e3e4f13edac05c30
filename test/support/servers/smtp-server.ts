/**
 * nodemailer's smtp-server (npm) in process on a loopback port, with its ESMTP extensions
 * (SIZE RFC 1870, PIPELINING RFC 2920, 8BITMIME RFC 6152, SMTPUTF8 RFC 6531) switched on or off,
 * recording each message (envelope and the unstuffed bytes it received).
 */
import type { AddressInfo } from 'node:net';
import type { PemPair } from '../../../src/testing/certificates.js';
import type { Availability, RunningServer } from './harness.js';
import { LOOPBACK } from './harness.js';

export interface SmtpServerHarnessOptions {
  /** Advertised SIZE limit (and enforced: rejectOversized). Undefined: SIZE not offered. */
  readonly size?: number;
  /** Offer `SIZE` without a number (the limit is still enforced at the dot). */
  readonly hideSizeValue?: boolean;
  readonly hidePipelining?: boolean;
  readonly hide8BitMime?: boolean;
  readonly hideSmtpUtf8?: boolean;
  /** Server certificate: STARTTLS is offered. Without it STARTTLS is disabled. */
  readonly tls?: PemPair;
  /** AUTH PLAIN/LOGIN accepted for these credentials; without them AUTH is disabled. */
  readonly credentials?: { readonly user: string; readonly pass: string };
}

export interface ServerMessage {
  readonly from: string;
  readonly mailArgs: Readonly<Record<string, unknown>>;
  readonly to: readonly string[];
  readonly body: Buffer;
  readonly secure: boolean;
  readonly user: string | undefined;
}

export interface RunningSmtpServer extends RunningServer {
  messages(): ServerMessage[];
}

export function available(): Availability {
  // A dev dependency: present whenever the test suite can run at all.
  return { ok: true };
}

export async function start(options: SmtpServerHarnessOptions = {}): Promise<RunningSmtpServer> {
  const { SMTPServer } = await import('smtp-server');
  const messages: ServerMessage[] = [];
  const disabled: string[] = [];
  if (options.tls === undefined) disabled.push('STARTTLS');
  if (options.credentials === undefined) disabled.push('AUTH');
  const server = new SMTPServer({
    name: 'smtp-server.test',
    ...(options.tls === undefined ? {} : { key: options.tls.key, cert: options.tls.cert }),
    ...(options.size === undefined ? {} : { size: options.size, rejectOversized: true }),
    hideSize: options.hideSizeValue ?? false,
    hidePIPELINING: options.hidePipelining ?? false,
    hide8BITMIME: options.hide8BitMime ?? false,
    hideSMTPUTF8: options.hideSmtpUtf8 ?? false,
    disabledCommands: disabled,
    authOptional: options.credentials === undefined,
    authMethods: ['PLAIN', 'LOGIN'],
    logger: false,
    onAuth(auth, _session, callback) {
      const wanted = options.credentials;
      if (wanted !== undefined && auth.username === wanted.user && auth.password === wanted.pass) {
        callback(null, { user: auth.username });
      } else {
        callback(new Error('Invalid username or password'));
      }
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const mailFrom = session.envelope.mailFrom;
        messages.push({
          from: mailFrom === false ? '' : mailFrom.address,
          mailArgs: (mailFrom === false ? {} : (mailFrom.args ?? {})) as Record<string, unknown>,
          to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
          body: Buffer.concat(chunks),
          secure: session.secure,
          user: typeof session.user === 'string' ? session.user : undefined,
        });
        callback(null);
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => resolve());
  });
  server.on('error', () => {});
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    messages: () => [...messages],
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
