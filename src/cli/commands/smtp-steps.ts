/**
 * The SMTP steps of `smtp-machine check` over an open connection: greeting and EHLO (RFC 5321
 * §4.1.1.1, §4.3.1), STARTTLS and the upgrade (RFC 3207), QUIT. Each records its report.
 */
import { ErrorCodes } from '../../errors/codes.js';
import { type Capabilities, NO_CAPABILITIES, parseEhloReply } from '../../protocol/capabilities.js';
import type { Reply } from '../../protocol/reply-types.js';
import { heloFallbackAllowed } from '../../session/machine-guards.js';
import { defaultClientName } from '../../transport/client-options.js';
import { messageOf, replySummary } from '../error-text.js';
import { ExitCodes } from '../exit-codes.js';
import { type Conversation, ProbeTimeout } from '../smtp-probe.js';
import {
  add,
  advise,
  type CheckContext,
  elapsed,
  fail,
  pass,
  replyFailure,
  type StepReport,
  warn,
} from './check-context.js';
import { implicitTlsPortReport, isImplicitTlsPort } from './tls-mode.js';
import { tlsFailureReport, tlsSummary } from './tls-step.js';

/** Waits for the 220; true when the next step may run. */
export async function greetingStep(
  ctx: CheckContext,
  conversation: Conversation,
  address: string,
): Promise<boolean> {
  const start = performance.now();
  try {
    const reply = await conversation.reply(ctx.config.timeoutMs);
    if (reply.code !== 220) return add(ctx, replyFailure(ctx, 'greeting', reply, 'greeting', elapsed(start)));
    return add(ctx, pass('greeting', replySummary(reply), elapsed(start)));
  } catch (error) {
    const ms = elapsed(start);
    if (await isImplicitTlsPort(ctx, error, address)) return add(ctx, implicitTlsPortReport(ctx, ms));
    return add(ctx, noGreetingReport(ctx, error, ms));
  }
}

function noGreetingReport(ctx: CheckContext, error: unknown, ms: number): StepReport {
  const summary =
    error instanceof ProbeTimeout
      ? `no greeting within ${ctx.config.timeoutMs} ms`
      : `no greeting: ${messageOf(error)}`;
  const advice = advise(ctx, { code: ErrorCodes.TIMEOUT, phase: 'greeting' });
  return fail('greeting', summary, ExitCodes.TEMP_FAIL, advice, ms);
}

/** Where send would fall back to HELO after a refused EHLO: as the session decides, and not after STARTTLS. */
function heloAllowed(ctx: CheckContext, step: string): boolean {
  return step === 'ehlo' && heloFallbackAllowed(ctx.config.security, ctx.config.credentials !== undefined);
}

/** EHLO; returns the capabilities offered (undefined: stop). `step` is 'ehlo' or 'ehlo-tls'. */
export async function ehloStep(
  ctx: CheckContext,
  conversation: Conversation,
  step: string,
): Promise<Capabilities | undefined> {
  const start = performance.now();
  try {
    // The same default as `send` (the transport's), so both present the same name.
    const domain = ctx.config.clientName ?? defaultClientName(conversation.socket.localAddress);
    const reply = await conversation.command({ verb: 'EHLO', domain }, ctx.config.timeoutMs);
    if (reply.code >= 500 && heloAllowed(ctx, step)) {
      // send falls back to HELO here (RFC 5321 §3.2; the session's heloAllowed): so does the check.
      const helo = await conversation.command({ verb: 'HELO', domain }, ctx.config.timeoutMs);
      if (helo.code === 250) {
        add(ctx, warn(step, `EHLO refused (${reply.code}); HELO accepted: no extensions`, elapsed(start)));
        return NO_CAPABILITIES;
      }
      add(ctx, replyFailure(ctx, step, helo, 'ehlo', elapsed(start)));
      return undefined;
    }
    if (reply.code !== 250) {
      add(ctx, replyFailure(ctx, step, reply, 'ehlo', elapsed(start)));
      return undefined;
    }
    const caps = parseEhloReply(reply);
    const keywords = [...caps.keywords].map(([k, params]) => [k, ...params].join(' '));
    add(ctx, pass(step, keywords.join(', ') || '(no extensions)', elapsed(start)));
    return caps;
  } catch (error) {
    add(ctx, fail(step, `EHLO failed: ${messageOf(error)}`, ExitCodes.TEMP_FAIL, [], elapsed(start)));
    return undefined;
  }
}

/** STARTTLS and the upgrade; returns whether the connection is now encrypted (false: plaintext goes on; undefined: stop). */
export async function starttlsStep(
  ctx: CheckContext,
  conversation: Conversation,
  caps: Capabilities,
): Promise<boolean | undefined> {
  if (!caps.startTls) return starttlsNotOffered(ctx);
  const start = performance.now();
  const accepted = await starttlsAccepted(ctx, conversation, start);
  if (accepted !== true) return accepted;
  try {
    const secure = await conversation.upgrade(ctx.tlsOptions, ctx.config.timeoutMs);
    add(ctx, { step: 'starttls', status: 'pass', ms: elapsed(start), advice: [], ...tlsSummary(secure) });
    return true;
  } catch (error) {
    add(ctx, tlsFailureReport(ctx, 'starttls', error, elapsed(start)));
    return undefined;
  }
}

/** Opportunistic mode goes on in plaintext; required STARTTLS stops here. */
function starttlsNotOffered(ctx: CheckContext): false | undefined {
  if (ctx.config.security === 'starttls-opportunistic') {
    add(ctx, warn('starttls', 'not offered: continuing in plaintext'));
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

/**
 * The STARTTLS command: true on a 220 with nothing behind it (plaintext must not survive the upgrade);
 * false when a refusal is survived in plaintext; undefined when the check stops (step failed).
 */
async function starttlsAccepted(
  ctx: CheckContext,
  conversation: Conversation,
  start: number,
): Promise<boolean | undefined> {
  try {
    const reply = await conversation.command({ verb: 'STARTTLS' }, ctx.config.timeoutMs);
    if (reply.code !== 220) return starttlsRefused(ctx, reply, elapsed(start));
    if (conversation.pendingBytes === 0) return true;
    const summary = 'the server sent data after its 220 to STARTTLS (command injection?)';
    add(ctx, fail('starttls', summary, ExitCodes.CONFIG, []));
  } catch (error) {
    const summary = `STARTTLS failed: ${messageOf(error)}`;
    add(ctx, fail('starttls', summary, ExitCodes.TEMP_FAIL, [], elapsed(start)));
  }
  return undefined;
}

/**
 * RFC 3207 §4 lets the client go on after a refused STARTTLS. As the session does: only with
 * starttls-opportunistic and no credentials (AUTH never goes without TLS), and never after a 421
 * (the server is closing). Otherwise the step fails.
 */
function starttlsRefused(ctx: CheckContext, reply: Reply, ms: number): false | undefined {
  const summary = replySummary(reply);
  const refused = reply.code >= 400 && reply.code < 600 && reply.code !== 421;
  if (refused && ctx.config.security === 'starttls-opportunistic' && ctx.config.credentials === undefined) {
    add(ctx, warn('starttls', `refused (${summary}): continuing in plaintext`, ms));
    return false;
  }
  const failure = replyFailure(ctx, 'starttls', reply, 'starttls', ms);
  const noPlaintextAuth =
    refused && ctx.config.security === 'starttls-opportunistic'
      ? ['credentials are set: the check does not go on to AUTH in plaintext after a refused STARTTLS']
      : [];
  add(ctx, { ...failure, advice: [...failure.advice, ...noPlaintextAuth] });
  return undefined;
}

/** QUIT; never fails the check (the server's answer is only reported). */
export async function quitStep(ctx: CheckContext, conversation: Conversation): Promise<void> {
  const start = performance.now();
  try {
    const reply = await conversation.command({ verb: 'QUIT' }, Math.min(ctx.config.timeoutMs, 5000));
    const summary = replySummary(reply);
    add(
      ctx,
      reply.code === 221 ? pass('quit', summary, elapsed(start)) : warn('quit', summary, elapsed(start)),
    );
  } catch (error) {
    add(ctx, warn('quit', `no 221: ${messageOf(error)}`, elapsed(start)));
  }
}
