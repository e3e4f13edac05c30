/**
 * Telling implicit-TLS ports (465, 2465) from STARTTLS ports (587, 2587, 25, RFC 3207) when `check`
 * used the wrong mode: two independent probes of the port, and the report that names the right mode.
 */
import type * as net from 'node:net';
import { errorCodeOf } from '../error-text.js';
import { ExitCodes } from '../exit-codes.js';
import { Conversation, connectTcp, ProbeClosed, ProbeTimeout, startTls } from '../smtp-probe.js';
import { type CheckContext, fail, SES_PORTS_NOTE, type StepReport } from './check-context.js';

/** OpenSSL's words for a plaintext SMTP greeting read as a TLS record. */
const PLAINTEXT_REPLY_AS_TLS =
  /wrong version number|packet length too long|http request|unknown protocol|record layer/i;

/**
 * What to do about a certificate the handshake refused, from the error code (Node's, or one quoted
 * in an SmtpError's message): only an untrusted issuer is fixed by --ca.
 */
export function certificateAdvice(codeOrText: string, host: string): string {
  if (/ALTNAME/.test(codeOrText)) return `connect with the name the certificate was issued for (not ${host})`;
  if (/CERT_HAS_EXPIRED|CERT_NOT_YET_VALID/.test(codeOrText)) {
    return "the server certificate has expired or is not yet valid (check this machine's clock): a CA file cannot fix that, the server's operator must renew it";
  }
  if (/CERT_REVOKED/.test(codeOrText))
    return "the server certificate was revoked: the server's operator must replace it";
  return 'pass --ca FILE with the CA certificate that signed the server certificate (`smtp-machine simulate` prints its CA file)';
}

/**
 * Node's and OpenSSL's certificate verification failures (CERT_HAS_EXPIRED, SELF_SIGNED_CERT_IN_CHAIN,
 * UNABLE_TO_VERIFY_LEAF_SIGNATURE, ERR_TLS_CERT_ALTNAME_INVALID, …), as a bare error code (`check`'s
 * probes) or quoted in an SmtpError's message (`send`), where the text may say it in words.
 */
const CERTIFICATE_CODE = /CERT|SIGNATURE|ISSUER|SELF_SIGNED|ALTNAME/;
const CERTIFICATE_WORDS = /certificate|CERT_|SELF_SIGNED|ALTNAME|not signed by a trusted CA/i;

export function isCertificateProblem(codeOrText: string): boolean {
  return CERTIFICATE_CODE.test(codeOrText) || CERTIFICATE_WORDS.test(codeOrText);
}

/** A probe's error that is a certificate failure (by its code), not a TLS-mode or network one. */
export function isCertificateError(error: unknown): boolean {
  return isCertificateProblem(errorCodeOf(error) ?? '');
}

/** A failed implicit-TLS handshake on a port that speaks plaintext SMTP (a STARTTLS port). */
export async function isPlaintextPort(ctx: CheckContext, error: unknown, address: string): Promise<boolean> {
  const message = error instanceof Error ? error.message : '';
  if (PLAINTEXT_REPLY_AS_TLS.test(message)) return true;
  return !isCertificateError(error) && (await greetsInPlaintext(ctx, address));
}

/**
 * A missing plaintext greeting on a port that completes a TLS handshake (an implicit-TLS port): the
 * wait ran out, or the server gave up first on a client that started no handshake (SES closes a
 * silent connection after about 10 s, the default --timeout).
 */
export async function isImplicitTlsPort(
  ctx: CheckContext,
  error: unknown,
  address: string,
): Promise<boolean> {
  const silent = error instanceof ProbeTimeout || error instanceof ProbeClosed;
  return silent && ctx.config.security !== 'implicit' && (await speaksTls(ctx, address));
}

export function plaintextPortReport(ctx: CheckContext, ms: number): StepReport {
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

export function implicitTlsPortReport(ctx: CheckContext, ms: number): StepReport {
  const { port } = ctx.config;
  return fail(
    'tls-mode',
    `port ${port} stays silent in plaintext and completes a TLS handshake: it expects implicit TLS (TLS from the first byte), not STARTTLS`,
    ExitCodes.CONFIG,
    [
      `use --security implicit on port ${port}, or a STARTTLS port with --security starttls (${SES_PORTS_NOTE})`,
    ],
    ms,
  );
}

/** A second, independent look at the port: does it greet in plaintext within 2 s? */
async function greetsInPlaintext(ctx: CheckContext, address: string): Promise<boolean> {
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
async function speaksTls(ctx: CheckContext, address: string): Promise<boolean> {
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
