/**
 * The first two steps of `smtp-machine check`, below SMTP: resolving the host name and opening TCP,
 * each failure told apart (temporary DNS, refused port, silent firewall) with its fix.
 */
import { lookup } from 'node:dns/promises';
import type * as net from 'node:net';
import { isIP } from 'node:net';
import { ErrorCodes } from '../../errors/codes.js';
import { errorCodeOf } from '../error-text.js';
import { ExitCodes } from '../exit-codes.js';
import { connectTcp, ProbeAborted, ProbeTimeout } from '../smtp-probe.js';
import {
  add,
  advise,
  type CheckContext,
  elapsed,
  fail,
  pass,
  SES_PORTS_NOTE,
  type StepReport,
} from './check-context.js';

/** Resolves the host; returns the first address (undefined: stop). */
export async function dnsStep(ctx: CheckContext): Promise<string | undefined> {
  const { host } = ctx.config;
  if (isIP(host) !== 0) {
    add(ctx, pass('dns', `${host} is an address: no lookup needed`));
    return host;
  }
  const start = performance.now();
  try {
    const addresses = await untilAborted(lookup(host, { all: true }), ctx.signal);
    const list = addresses.map((a) => a.address);
    add(ctx, pass('dns', `${host} → ${list.join(', ')}`, elapsed(start)));
    return list[0];
  } catch (error) {
    const code = errorCodeOf(error) ?? 'error';
    const temporary = code === 'EAI_AGAIN';
    const advice = temporary
      ? 'the DNS resolver did not answer: check the network, then retry'
      : 'check the host name; Amazon SES hosts are email-smtp.<region>.amazonaws.com';
    const exitCode = temporary ? ExitCodes.TEMP_FAIL : ExitCodes.UNAVAILABLE;
    add(ctx, fail('dns', `cannot resolve ${host} (${code})`, exitCode, [advice], elapsed(start)));
    return undefined;
  }
}

/** Connects to the resolved address; returns the socket (undefined: stop). */
export async function tcpStep(ctx: CheckContext, address: string): Promise<net.Socket | undefined> {
  const { port, timeoutMs } = ctx.config;
  const start = performance.now();
  try {
    const socket = await connectTcp(address, port, timeoutMs, ctx.signal);
    add(ctx, pass('tcp', `connected to ${address} port ${port}`, elapsed(start)));
    return socket;
  } catch (error) {
    add(ctx, tcpFailure(ctx, address, error, elapsed(start)));
    return undefined;
  }
}

function tcpFailure(ctx: CheckContext, address: string, error: unknown, ms: number): StepReport {
  const { port, timeoutMs } = ctx.config;
  if (error instanceof ProbeTimeout) {
    const advice = advise(ctx, { code: ErrorCodes.TIMEOUT, phase: 'connect' });
    const summary = `no answer from ${address} port ${port} within ${timeoutMs} ms`;
    return fail('tcp', summary, ExitCodes.TEMP_FAIL, advice, ms);
  }
  const code = errorCodeOf(error) ?? 'error';
  const advice =
    code === 'ECONNREFUSED'
      ? [`nothing listens on port ${port}: check the port (${SES_PORTS_NOTE})`]
      : advise(ctx, { code: ErrorCodes.CONNECTION_FAILED, phase: 'connect' });
  const summary = `cannot connect to ${address} port ${port} (${code})`;
  return fail('tcp', summary, ExitCodes.UNAVAILABLE, advice, ms);
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
