/**
 * The steps of `smtp-machine check`, in the order a connection goes through them. Each step returns a
 * report (what happened, how long it took, the likely cause and fix) and whether the next may run.
 */
import type * as net from 'node:net';
import type { Capabilities } from '../../protocol/capabilities.js';
import { buildTlsOptions } from '../../transport/tls-options.js';
import type { ConnectionConfig } from '../connection.js';
import { Conversation } from '../smtp-probe.js';
import { authStep } from './check-auth.js';
import { add, type CheckContext, type StepReport, skip } from './check-context.js';
import { dnsStep, tcpStep } from './network-steps.js';
import { ehloStep, greetingStep, quitStep, starttlsStep } from './smtp-steps.js';
import { implicitTlsStep } from './tls-step.js';

export type { StepReport } from './check-context.js';

/**
 * Runs the steps in order until one fails. When `signal` fires, the step in progress stops at once
 * (its socket closed) and the steps so far are returned; the caller reports the interruption.
 */
export async function runChecks(config: ConnectionConfig, signal: AbortSignal): Promise<StepReport[]> {
  const tlsOptions = buildTlsOptions(
    config.host,
    config.caPem === undefined ? undefined : { ca: config.caPem },
  );
  const ctx: CheckContext = { config, tlsOptions, steps: [], signal };
  const address = await dnsStep(ctx);
  if (address === undefined) return ctx.steps;
  const connected = await connect(ctx, address);
  if (connected === undefined) return ctx.steps;
  const conversation = new Conversation(connected, signal);
  try {
    await converse(ctx, conversation, address);
  } finally {
    conversation.close();
  }
  return ctx.steps;
}

/** TCP, then TLS from the first byte when the security mode is implicit. */
async function connect(ctx: CheckContext, address: string): Promise<net.Socket | undefined> {
  const socket = await tcpStep(ctx, address);
  if (socket === undefined || ctx.config.security !== 'implicit') return socket;
  const secure = await implicitTlsStep(ctx, socket, address);
  if (secure === undefined) socket.destroy();
  return secure;
}

async function converse(ctx: CheckContext, conversation: Conversation, address: string): Promise<void> {
  if (!(await greetingStep(ctx, conversation, address))) return;
  const caps = await ehloStep(ctx, conversation, 'ehlo');
  if (caps === undefined) return;
  const secured = await secureConversation(ctx, conversation, caps);
  if (secured === undefined) return;
  if (!(await authStep(ctx, conversation, secured.caps, secured.encrypted))) return;
  await quitStep(ctx, conversation);
}

/** STARTTLS and a fresh EHLO when the mode asks for it; undefined: stop. */
async function secureConversation(
  ctx: CheckContext,
  conversation: Conversation,
  caps: Capabilities,
): Promise<{ caps: Capabilities; encrypted: boolean } | undefined> {
  const { security } = ctx.config;
  if (security === 'implicit') return { caps, encrypted: true };
  if (security === 'none') {
    add(ctx, skip('tls', 'plaintext (--security none): mail and credentials travel unencrypted'));
    return { caps, encrypted: false };
  }
  const upgraded = await starttlsStep(ctx, conversation, caps);
  if (upgraded !== true) return upgraded === undefined ? undefined : { caps, encrypted: false };
  const after = await ehloStep(ctx, conversation, 'ehlo-tls');
  return after === undefined ? undefined : { caps: after, encrypted: true };
}
