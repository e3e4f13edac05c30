/**
 * The steps of `smtp-machine check`, in the order a connection goes through them. Each step returns a
 * report (what happened, how long it took, the likely cause and fix) and whether the next may run.
 */
import { lookup } from 'node:dns/promises';
import type * as net from 'node:net';
import { isIP } from 'node:net';
import type * as tls from 'node:tls';
import { ErrorCodes } from '../../errors/codes.js';
import type { Phase } from '../../errors/smtp-error.js';
import { type Capabilities, parseEhloReply } from '../../protocol/capabilities.js';
import { replyText } from '../../protocol/reply-parser.js';
import type { Reply } from '../../protocol/reply-types.js';
import { type SesAdviceInput, sesAdvice } from '../../ses/advice.js';
import { describeTlsFailure } from '../../transport/connect.js';
import { buildTlsOptions } from '../../transport/tls-options.js';
import { type ConnectionConfig, defaultClientName } from '../connection.js';
import { type ExitCode, ExitCodes } from '../exit-codes.js';
import { Conversation, connectTcp, ProbeAborted, ProbeTimeout, startTls } from '../smtp-probe.js';
import { authenticate } from './check-auth.js';

export interface StepReport {
  readonly step: string;
  readonly status: 'pass' | 'fail' | 'skip' | 'warn';
  readonly summary: string;
  readonly ms?: number;
  readonly details?: readonly string[];
  readonly advice: readonly string[];
  readonly exitCode?: ExitCode;
}

interface Context {
  readonly config: ConnectionConfig;
  readonly tlsOptions: tls.ConnectionOptions;
  readonly steps: StepReport[];
  /** SIGINT/SIGTERM: every wait rejects with ProbeAborted and its socket is closed. */
  readonly signal: AbortSignal;
}

const PLAINTEXT_REPLY_AS_TLS =
  /wrong version number|packet length too long|http request|unknown protocol|record layer/i;
const SES_PORTS_NOTE = 'Amazon SES: implicit TLS on 465 and 2465, STARTTLS on 587, 2587 and 25';

const elapsed = (start: number): number => Math.round(performance.now() - start);

function advise(ctx: Context, input: SesAdviceInput): string[] {
  const { config } = ctx;
  return sesAdvice({
    host: config.host,
    port: config.port,
    security: config.security,
    ...(config.region === undefined ? {} : { region: config.region }),
    ...(config.credentials === undefined ? {} : { pass: config.credentials.pass }),
    ...input,
  });
}

function add(ctx: Context, report: StepReport): boolean {
  ctx.steps.push(report);
  return report.status !== 'fail';
}

function fail(step: string, summary: string, exitCode: ExitCode, advice: string[], ms?: number): StepReport {
  return { step, status: 'fail', summary, exitCode, advice, ...(ms === undefined ? {} : { ms }) };
}

function errorCodeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

async function dnsStep(ctx: Context): Promise<string | undefined> {
  const { host } = ctx.config;
  if (isIP(host) !== 0) {
    add(ctx, { step: 'dns', status: 'pass', summary: `${host} is an address: no lookup needed`, advice: [] });
    return host;
  }
  const start = performance.now();
  try {
    const addresses = await untilAborted(lookup(host, { all: true }), ctx.signal);
    const list = addresses.map((a) => a.address);
    add(ctx, {
      step: 'dns',
      status: 'pass',
      summary: `${host} → ${list.join(', ')}`,
      ms: elapsed(start),
      advice: [],
    });
    return list[0];
  } catch (error) {
    const code = errorCodeOf(error) ?? 'error';
    const temporary = code === 'EAI_AGAIN';
    add(
      ctx,
      fail(
        'dns',
        `cannot resolve ${host} (${code})`,
        temporary ? ExitCodes.TEMP_FAIL : ExitCodes.UNAVAILABLE,
        [
          temporary
            ? 'the DNS resolver did not answer: check the network, then retry'
            : 'check the host name; Amazon SES hosts are email-smtp.<region>.amazonaws.com',
        ],
        elapsed(start),
      ),
    );
    return undefined;
  }
}

async function tcpStep(ctx: Context, address: string): Promise<net.Socket | undefined> {
  const { port, timeoutMs } = ctx.config;
  const start = performance.now();
  try {
    const socket = await connectTcp(address, port, timeoutMs, ctx.signal);
    add(ctx, {
      step: 'tcp',
      status: 'pass',
      summary: `connected to ${address} port ${port}`,
      ms: elapsed(start),
      advice: [],
    });
    return socket;
  } catch (error) {
    const ms = elapsed(start);
    if (error instanceof ProbeTimeout) {
      const advice = advise(ctx, { code: ErrorCodes.TIMEOUT, phase: 'connect' });
      add(
        ctx,
        fail(
          'tcp',
          `no answer from ${address} port ${port} within ${timeoutMs} ms`,
          ExitCodes.TEMP_FAIL,
          advice,
          ms,
        ),
      );
      return undefined;
    }
    const code = errorCodeOf(error) ?? 'error';
    const advice =
      code === 'ECONNREFUSED'
        ? [`nothing listens on port ${port}: check the port (${SES_PORTS_NOTE})`]
        : advise(ctx, { code: ErrorCodes.CONNECTION_FAILED, phase: 'connect' });
    add(
      ctx,
      fail('tcp', `cannot connect to ${address} port ${port} (${code})`, ExitCodes.UNAVAILABLE, advice, ms),
    );
    return undefined;
  }
}

function tlsSummary(socket: tls.TLSSocket): { summary: string; details: string[] } {
  const cipher = socket.getCipher();
  const cert = socket.getPeerCertificate();
  const details: string[] = [];
  if (cert.subject !== undefined) {
    details.push(
      `certificate: ${cert.subject.CN ?? '(no CN)'}, issued by ${cert.issuer?.CN ?? cert.issuer?.O ?? '?'}`,
    );
    details.push(`valid ${cert.valid_from} to ${cert.valid_to}`);
  }
  return { summary: `${socket.getProtocol() ?? 'TLS'} (${cipher.name}), certificate verified`, details };
}

/** A second, independent look at the port: does it greet in plaintext within 2 s? */
async function greetsInPlaintext(ctx: Context, address: string): Promise<boolean> {
  let conversation: Conversation | undefined;
  try {
    conversation = new Conversation(
      await connectTcp(address, ctx.config.port, ctx.config.timeoutMs, ctx.signal),
      ctx.signal,
    );
    const reply = await conversation.reply(Math.min(2000, ctx.config.timeoutMs));
    return reply.code === 220;
  } catch {
    return false;
  } finally {
    conversation?.close();
  }
}

/** And the other way round: does it complete a TLS handshake from the first byte (any certificate)? */
async function speaksTls(ctx: Context, address: string): Promise<boolean> {
  let socket: net.Socket | undefined;
  try {
    socket = await connectTcp(address, ctx.config.port, ctx.config.timeoutMs, ctx.signal);
    const secure = await startTls(
      socket,
      { ...ctx.tlsOptions, rejectUnauthorized: false },
      ctx.config.timeoutMs,
      ctx.signal,
    );
    secure.destroy();
    return true;
  } catch {
    return false;
  } finally {
    socket?.destroy();
  }
}

function tlsFailureReport(ctx: Context, step: string, error: unknown, ms: number): StepReport {
  const { host } = ctx.config;
  const code = errorCodeOf(error) ?? '';
  const advice = advise(ctx, { code: ErrorCodes.TLS_FAILED, phase: 'tls' });
  if (/CERT|SIGNATURE|ISSUER|SELF_SIGNED|ALTNAME/.test(code)) {
    advice.unshift(
      code === 'ERR_TLS_CERT_ALTNAME_INVALID'
        ? `connect with the name the certificate was issued for (not ${host})`
        : 'pass --ca FILE with the CA certificate that signed the server certificate (`smtp-machine simulate` prints its CA file)',
    );
  }
  return fail(step, describeTlsFailure(error, host), ExitCodes.CONFIG, dedupe(advice), ms);
}

function plaintextPortReport(ctx: Context, ms: number): StepReport {
  const { port } = ctx.config;
  return fail(
    'tls-mode',
    `port ${port} answered in plaintext (an SMTP greeting), not with TLS: it is a STARTTLS port, not implicit TLS`,
    ExitCodes.CONFIG,
    [
      `use --security starttls on port ${port}, or an implicit-TLS port with --security implicit (${SES_PORTS_NOTE})`,
    ],
    ms,
  );
}

async function implicitTlsStep(
  ctx: Context,
  socket: net.Socket,
  address: string,
): Promise<tls.TLSSocket | undefined> {
  const start = performance.now();
  try {
    const secure = await startTls(socket, ctx.tlsOptions, ctx.config.timeoutMs, ctx.signal);
    add(ctx, { step: 'tls', status: 'pass', ms: elapsed(start), advice: [], ...tlsSummary(secure) });
    return secure;
  } catch (error) {
    const ms = elapsed(start);
    const message = error instanceof Error ? error.message : '';
    if (
      PLAINTEXT_REPLY_AS_TLS.test(message) ||
      (!isCertificateError(error) && (await greetsInPlaintext(ctx, address)))
    ) {
      add(ctx, plaintextPortReport(ctx, ms));
    } else if (error instanceof ProbeTimeout) {
      add(ctx, fail('tls', error.message, ExitCodes.TEMP_FAIL, [], ms));
    } else {
      add(ctx, tlsFailureReport(ctx, 'tls', error, ms));
    }
    return undefined;
  }
}

function isCertificateError(error: unknown): boolean {
  return /CERT|SIGNATURE|ISSUER|SELF_SIGNED|ALTNAME/.test(errorCodeOf(error) ?? '');
}

function replyFailure(ctx: Context, step: string, reply: Reply, phase: Phase, ms: number): StepReport {
  const exitCode = reply.code >= 500 ? ExitCodes.UNAVAILABLE : ExitCodes.TEMP_FAIL;
  return fail(step, `${reply.code} ${replyText(reply)}`, exitCode, advise(ctx, { reply, phase }), ms);
}

async function greetingStep(ctx: Context, conversation: Conversation, address: string): Promise<boolean> {
  const start = performance.now();
  const { port, security, timeoutMs } = ctx.config;
  try {
    const reply = await conversation.reply(timeoutMs);
    if (reply.code !== 220) return add(ctx, replyFailure(ctx, 'greeting', reply, 'greeting', elapsed(start)));
    return add(ctx, {
      step: 'greeting',
      status: 'pass',
      summary: `220 ${replyText(reply)}`,
      ms: elapsed(start),
      advice: [],
    });
  } catch (error) {
    const ms = elapsed(start);
    if (error instanceof ProbeTimeout && security !== 'implicit' && (await speaksTls(ctx, address))) {
      return add(
        ctx,
        fail(
          'tls-mode',
          `port ${port} stays silent in plaintext and completes a TLS handshake: it expects implicit TLS (TLS from the first byte), not STARTTLS`,
          ExitCodes.CONFIG,
          [
            `use --security implicit on port ${port}, or a STARTTLS port with --security starttls (${SES_PORTS_NOTE})`,
          ],
          ms,
        ),
      );
    }
    const summary =
      error instanceof ProbeTimeout
        ? `no greeting within ${timeoutMs} ms`
        : `no greeting: ${messageOf(error)}`;
    return add(
      ctx,
      fail(
        'greeting',
        summary,
        ExitCodes.TEMP_FAIL,
        advise(ctx, { code: ErrorCodes.TIMEOUT, phase: 'greeting' }),
        ms,
      ),
    );
  }
}

async function ehloStep(
  ctx: Context,
  conversation: Conversation,
  step: string,
): Promise<Capabilities | undefined> {
  const start = performance.now();
  try {
    const reply = await conversation.command(
      { verb: 'EHLO', domain: ctx.config.clientName ?? defaultClientName() },
      ctx.config.timeoutMs,
    );
    if (reply.code !== 250) {
      add(ctx, replyFailure(ctx, step, reply, 'ehlo', elapsed(start)));
      return undefined;
    }
    const caps = parseEhloReply(reply);
    const keywords = [...caps.keywords].map(([k, params]) => [k, ...params].join(' '));
    add(ctx, {
      step,
      status: 'pass',
      summary: keywords.join(', ') || '(no extensions)',
      ms: elapsed(start),
      advice: [],
    });
    return caps;
  } catch (error) {
    add(ctx, fail(step, `EHLO failed: ${messageOf(error)}`, ExitCodes.TEMP_FAIL, [], elapsed(start)));
    return undefined;
  }
}

/** STARTTLS and the upgrade; returns whether the connection is now encrypted (undefined: stop). */
async function starttlsStep(
  ctx: Context,
  conversation: Conversation,
  caps: Capabilities,
): Promise<boolean | undefined> {
  const { security, timeoutMs } = ctx.config;
  if (!caps.startTls) {
    if (security === 'starttls-opportunistic') {
      add(ctx, {
        step: 'starttls',
        status: 'warn',
        summary: 'not offered: continuing in plaintext',
        advice: [],
      });
      return false;
    }
    add(
      ctx,
      fail('starttls', 'the server does not offer STARTTLS', ExitCodes.CONFIG, [
        'use an implicit-TLS port with --security implicit, or --security none only on a trusted network',
      ]),
    );
    return undefined;
  }
  const start = performance.now();
  try {
    const reply = await conversation.command({ verb: 'STARTTLS' }, timeoutMs);
    if (reply.code !== 220) {
      add(ctx, replyFailure(ctx, 'starttls', reply, 'starttls', elapsed(start)));
      return undefined;
    }
    if (conversation.pendingBytes > 0) {
      add(
        ctx,
        fail(
          'starttls',
          'the server sent data after its 220 to STARTTLS (command injection?)',
          ExitCodes.CONFIG,
          [],
        ),
      );
      return undefined;
    }
  } catch (error) {
    add(
      ctx,
      fail('starttls', `STARTTLS failed: ${messageOf(error)}`, ExitCodes.TEMP_FAIL, [], elapsed(start)),
    );
    return undefined;
  }
  try {
    const secure = await conversation.upgrade(ctx.tlsOptions, timeoutMs);
    add(ctx, { step: 'starttls', status: 'pass', ms: elapsed(start), advice: [], ...tlsSummary(secure) });
    return true;
  } catch (error) {
    add(ctx, tlsFailureReport(ctx, 'starttls', error, elapsed(start)));
    return undefined;
  }
}

async function authStep(
  ctx: Context,
  conversation: Conversation,
  caps: Capabilities,
  encrypted: boolean,
): Promise<boolean> {
  const { credentials } = ctx.config;
  if (credentials === undefined) {
    return add(ctx, {
      step: 'auth',
      status: 'skip',
      summary: 'no credentials (set SMTP_USER and SMTP_PASS to test them)',
      advice: [],
    });
  }
  if (!encrypted) {
    return add(ctx, {
      step: 'auth',
      status: 'skip',
      summary: 'not sending credentials over a plaintext connection',
      advice: [],
    });
  }
  const start = performance.now();
  const result = await authenticate(conversation, caps, credentials, ctx.config.timeoutMs);
  const ms = elapsed(start);
  if (result.ok)
    return add(ctx, {
      step: 'auth',
      status: 'pass',
      summary: `authenticated (${result.mechanism})`,
      ms,
      advice: [],
    });
  if (result.reply === undefined) return add(ctx, fail('auth', result.problem, ExitCodes.CONFIG, [], ms));
  const exitCode = result.reply.code >= 500 ? ExitCodes.CONFIG : ExitCodes.TEMP_FAIL;
  const summary = `${result.reply.code} ${replyText(result.reply)}`;
  return add(ctx, fail('auth', summary, exitCode, advise(ctx, { reply: result.reply, phase: 'auth' }), ms));
}

async function quitStep(ctx: Context, conversation: Conversation): Promise<void> {
  const start = performance.now();
  try {
    const reply = await conversation.command({ verb: 'QUIT' }, Math.min(ctx.config.timeoutMs, 5000));
    add(ctx, {
      step: 'quit',
      status: reply.code === 221 ? 'pass' : 'warn',
      summary: `${reply.code} ${replyText(reply)}`,
      ms: elapsed(start),
      advice: [],
    });
  } catch (error) {
    add(ctx, {
      step: 'quit',
      status: 'warn',
      summary: `no 221: ${messageOf(error)}`,
      ms: elapsed(start),
      advice: [],
    });
  }
}

async function converse(ctx: Context, conversation: Conversation, address: string): Promise<void> {
  const { security } = ctx.config;
  if (!(await greetingStep(ctx, conversation, address))) return;
  let caps = await ehloStep(ctx, conversation, 'ehlo');
  if (caps === undefined) return;
  let encrypted = security === 'implicit';
  if (security === 'starttls' || security === 'starttls-opportunistic') {
    const upgraded = await starttlsStep(ctx, conversation, caps);
    if (upgraded === undefined) return;
    if (upgraded) {
      encrypted = true;
      caps = await ehloStep(ctx, conversation, 'ehlo-tls');
      if (caps === undefined) return;
    }
  } else if (security === 'none') {
    add(ctx, {
      step: 'tls',
      status: 'skip',
      summary: 'plaintext (--security none): mail and credentials travel unencrypted',
      advice: [],
    });
  }
  if (!(await authStep(ctx, conversation, caps, encrypted))) return;
  await quitStep(ctx, conversation);
}

/**
 * Runs the steps in order until one fails. When `signal` fires, the step in progress stops at once
 * (its socket closed) and the steps so far are returned; the caller reports the interruption.
 */
export async function runChecks(config: ConnectionConfig, signal: AbortSignal): Promise<StepReport[]> {
  const tlsOptions = buildTlsOptions(
    config.host,
    config.caPem === undefined ? undefined : { ca: config.caPem },
  );
  const ctx: Context = { config, tlsOptions, steps: [], signal };
  const address = await dnsStep(ctx);
  if (address === undefined) return ctx.steps;
  const socket = await tcpStep(ctx, address);
  if (socket === undefined) return ctx.steps;
  let connected: net.Socket = socket;
  if (config.security === 'implicit') {
    const secure = await implicitTlsStep(ctx, socket, address);
    if (secure === undefined) {
      socket.destroy();
      return ctx.steps;
    }
    connected = secure;
  }
  const conversation = new Conversation(connected, signal);
  try {
    await converse(ctx, conversation, address);
  } finally {
    conversation.close();
  }
  return ctx.steps;
}

/** DNS lookups take no signal: the check stops waiting for one on abort (it finishes in the background). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new ProbeAborted(signal));
  let onAbort = (): void => {};
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => reject(new ProbeAborted(signal));
    signal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([promise, aborted]).finally(() => signal.removeEventListener('abort', onAbort));
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function dedupe(items: readonly string[]): string[] {
  return [...new Set(items)];
}
