/**
 * A local Amazon SES SMTP endpoint for tests and demos: a STARTTLS port (like 587) and an
 * implicit-TLS port (like 465) on 127.0.0.1 that answer as SES does (ses-facts.md, the SES reply
 * table). Built on the optional `smtp-server` package, imported only when a simulator starts.
 */
import { randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { access, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCodes } from '../../errors/codes.js';
import { SmtpUsageError } from '../../errors/smtp-error.js';
import { createTestCertificates } from '../../testing/certificates.js';
import { peerDependencyMissing } from '../../testing/peer-dependency.js';
import { deriveSesSmtpPassword } from '../password.js';
import { type ForcedReply, SesBehaviour, type SesSimulatorMessage } from './behaviour.js';
import { listen, type SesSimulatorListener } from './listener.js';
import {
  type ResolvedSesSimulatorOptions,
  resolveSimulatorOptions,
  type SesSimulatorOptions,
} from './options.js';
import { checkSimulatorOptions } from './options-check.js';
import { SES_REJECTION_REASONS, type SesRejectionReason } from './rejections.js';
import { SesReplies } from './replies.js';
import { closeServer, type ServerInternals, surviveErrors, trackConnections } from './server-hooks.js';
import { type SimulatorState, serverOptions } from './server-options.js';

// The simulator's default TLS material, for callers that share one CA between simulators or tests.
export {
  createTestCertificates,
  type IssueOptions,
  type PemPair,
  type TestCertificates,
} from '../../testing/certificates.js';
export type { ForcedReply, SesSimulatorMessage } from './behaviour.js';
export { SesSimulatorListenError, type SesSimulatorListener } from './listener.js';
export type { SesSimulatorCredential, SesSimulatorOptions } from './options.js';
export type { SesRejectionReason } from './rejections.js';

export interface SesSimulatorStats {
  /** Connections accepted so far (both ports, including refused ones). */
  connections: number;
  /** Connections open now (one on the implicit-TLS port counts once its TLS handshake is done). */
  active: number;
  /** Messages accepted (`250 Ok <id>`). */
  accepted: number;
  /** Refusals (4xx/5xx replies) by reason. */
  readonly rejected: Record<SesRejectionReason, number>;
  /**
   * Server-side errors survived: clients that vanish mid-handshake ("Socket closed while initiating
   * TLS"), resets inside a transaction, and the like. Each also goes to the `onError` option.
   */
  errors: number;
}

export interface SesSimulator {
  readonly host: '127.0.0.1';
  readonly starttlsPort: number;
  readonly tlsPort: number;
  readonly region: string;
  /** The test CA that signed the server certificate, and a temp file holding it (for CLI users). */
  readonly caPem: string;
  readonly caFile: string;
  /** SMTP user names and derived passwords that authenticate. */
  readonly users: readonly { readonly user: string; readonly pass: string }[];
  readonly messages: readonly SesSimulatorMessage[];
  readonly stats: Readonly<SesSimulatorStats>;
  /** Answers the next final dot with `reply` instead of deciding (queued; e.g. 451 Temporary service failure). */
  failNextMessage(reply?: ForcedReply): void;
  close(): Promise<void>;
}

async function loadSmtpServer(): Promise<typeof import('smtp-server')> {
  try {
    return await import('smtp-server');
  } catch (error) {
    throw peerDependencyMissing('smtp-server', 'the SES simulator', error);
  }
}

/** Rejects with SmtpUsageError (SMTP_INVALID_ARGUMENT, `field`) for bad options, before anything starts. */
/**
 * The mail directory is made (and must be writable) before the simulator starts: otherwise every
 * message would get 451 and nothing would say why.
 */
async function checkMailDir(mailDir: string): Promise<void> {
  try {
    await mkdir(mailDir, { recursive: true });
    await access(mailDir, fsConstants.W_OK);
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'unusable';
    throw new SmtpUsageError({
      code: ErrorCodes.INVALID_ARGUMENT,
      field: 'mailDir',
      message: `mailDir: ${mailDir} is not a directory the simulator can write to (${code})`,
    });
  }
}

export async function startSesSimulator(options: SesSimulatorOptions = {}): Promise<SesSimulator> {
  checkSimulatorOptions(options);
  if (options.mailDir !== undefined) await checkMailDir(options.mailDir);
  const resolved = resolveSimulatorOptions(options, () => ({
    accessKeyId: 'AKIASESSIMULATOR0001',
    secretAccessKey: randomBytes(30).toString('base64'),
  }));
  const { SMTPServer: Server } = await loadSmtpServer();
  const certificates = options.certificates ?? (await createTestCertificates());
  const state: SimulatorState = {
    resolved,
    behaviour: new SesBehaviour(resolved),
    stats: emptyStats(),
    sockets: new Set<Socket>(),
    admitted: new Set<string>(),
  };
  const server = (secure: boolean, listener: SesSimulatorListener): ServerInternals => {
    const smtp = new Server(serverOptions(secure, certificates.server, state));
    return trackConnections(surviveErrors(smtp, listener, state.stats, options.onError), state);
  };
  const servers = { starttls: server(false, 'starttls'), implicit: server(true, 'tls') };
  // The CA file first: a failure after the ports are bound would leave them listening, with no handle.
  const ca = await writeCaFile(certificates.ca.cert);
  let ports: Awaited<ReturnType<typeof listenBoth>>;
  try {
    ports = await listenBoth(servers.starttls, servers.implicit, resolved);
  } catch (error) {
    await rm(ca.dir, { recursive: true, force: true });
    throw error;
  }
  return simulatorHandle(state, ports, ca, Object.values(servers));
}

function emptyStats(): SesSimulatorStats {
  const rejected = Object.fromEntries(SES_REJECTION_REASONS.map((reason) => [reason, 0]));
  return {
    connections: 0,
    active: 0,
    accepted: 0,
    rejected: rejected as Record<SesRejectionReason, number>,
    errors: 0,
  };
}

/** Binds both ports; when one cannot be bound, neither stays open. */
async function listenBoth(
  starttls: ServerInternals,
  implicit: ServerInternals,
  resolved: ResolvedSesSimulatorOptions,
): Promise<{ starttlsPort: number; tlsPort: number }> {
  try {
    const starttlsPort = await listen(starttls.server, resolved.starttlsPort, 'starttls');
    const tlsPort = await listen(implicit.server, resolved.tlsPort, 'tls');
    return { starttlsPort, tlsPort };
  } catch (error) {
    await Promise.all([closeServer(starttls), closeServer(implicit)]);
    throw error;
  }
}

interface CaFile {
  readonly pem: string;
  readonly dir: string;
  readonly file: string;
}

/** The test CA in a temp file for CLI users (`--ca`); close() removes it. */
async function writeCaFile(pem: string): Promise<CaFile> {
  const dir = await mkdtemp(join(tmpdir(), 'ses-simulator-'));
  const file = join(dir, 'ca.pem');
  try {
    await writeFile(file, pem);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return { pem, dir, file };
}

function simulatorHandle(
  { resolved, behaviour, stats, sockets }: SimulatorState,
  ports: { starttlsPort: number; tlsPort: number },
  ca: CaFile,
  servers: readonly ServerInternals[],
): SesSimulator {
  return {
    host: '127.0.0.1',
    ...ports,
    region: resolved.region,
    caPem: ca.pem,
    caFile: ca.file,
    users: resolved.credentials.map((c) => ({
      user: c.accessKeyId,
      pass: deriveSesSmtpPassword(c.secretAccessKey, resolved.region),
    })),
    messages: behaviour.messages,
    stats,
    failNextMessage: (reply = { code: 451, text: SesReplies.temporaryFailure }) => behaviour.force(reply),
    async close() {
      for (const socket of sockets) socket.destroy();
      await Promise.all(servers.map(closeServer));
      await rm(ca.dir, { recursive: true, force: true });
    },
  };
}
