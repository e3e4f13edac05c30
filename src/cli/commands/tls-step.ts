/**
 * The TLS side of `smtp-machine check`: the implicit-TLS handshake step, what a verified connection
 * shows (protocol, cipher, certificate), and the advice for a failed handshake (CA, host name).
 */
import type * as net from 'node:net';
import type * as tls from 'node:tls';
import { ErrorCodes } from '../../errors/codes.js';
import { describeTlsFailure } from '../../transport/connect.js';
import { errorCodeOf } from '../error-text.js';
import { ExitCodes } from '../exit-codes.js';
import { ProbeTimeout, startTls } from '../smtp-probe.js';
import { add, advise, type CheckContext, elapsed, fail, type StepReport } from './check-context.js';
import { certificateAdvice, isCertificateError, isPlaintextPort, plaintextPortReport } from './tls-mode.js';

/** TLS from the first byte; returns the secure socket (undefined: stop). */
export async function implicitTlsStep(
  ctx: CheckContext,
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
    if (await isPlaintextPort(ctx, error, address)) add(ctx, plaintextPortReport(ctx, ms));
    else if (error instanceof ProbeTimeout) add(ctx, fail('tls', error.message, ExitCodes.TEMP_FAIL, [], ms));
    else if (closedDuringHandshake(error)) {
      // As send reports it (SMTP_CONNECTION_CLOSED, 75): an overloaded server or a connection cap, not a TLS mode.
      add(
        ctx,
        fail('tls', 'the server closed the connection during the TLS handshake', ExitCodes.TEMP_FAIL, [], ms),
      );
    } else add(ctx, tlsFailureReport(ctx, 'tls', error, ms));
    return undefined;
  }
}

/** A reset or close before the handshake finished (no certificate or protocol problem was seen). */
function closedDuringHandshake(error: unknown): boolean {
  const code = errorCodeOf(error) ?? '';
  if (code === 'ECONNRESET' || code === 'EPIPE') return true;
  return /socket disconnected before secure TLS connection|socket hang up|closed before/i.test(
    error instanceof Error ? error.message : '',
  );
}

export function tlsSummary(socket: tls.TLSSocket): { summary: string; details: string[] } {
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

export function tlsFailureReport(ctx: CheckContext, step: string, error: unknown, ms: number): StepReport {
  const { host } = ctx.config;
  const advice = advise(ctx, { code: ErrorCodes.TLS_FAILED, phase: 'tls' });
  if (isCertificateError(error)) {
    advice.unshift(certificateAdvice(errorCodeOf(error) ?? '', host));
  }
  const mode = step === 'starttls' ? 'starttls' : 'implicit';
  return fail(step, describeTlsFailure(error, host, mode), ExitCodes.CONFIG, [...new Set(advice)], ms);
}
