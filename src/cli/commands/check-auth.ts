/**
 * The AUTH step of `smtp-machine check` (RFC 4954): PLAIN with an initial response (RFC 4616), else
 * LOGIN. The credentials go only to the socket; results and errors never contain them, not even
 * where the server echoes them back (a 535 naming the SES user, threats.md §5).
 */
import { isSmtpError } from '../../errors/smtp-error.js';
import type { Capabilities } from '../../protocol/capabilities.js';
import type { Reply } from '../../protocol/reply-types.js';
import { MAX_AUTH_CHALLENGES } from '../../session/machine-guards.js';
import { credentialForms, scrubReply, scrubText } from '../../session/redaction.js';
import { answerChallenge, startAuth } from '../../session/sasl.js';
import { hmacMd5 } from '../../transport/connection.js';
import { errorCodeOf, replySummary } from '../error-text.js';
import { ExitCodes } from '../exit-codes.js';
import type { Conversation } from '../smtp-probe.js';
import {
  add,
  advise,
  type CheckContext,
  elapsed,
  fail,
  pass,
  type StepReport,
  skip,
} from './check-context.js';

/**
 * A failure without a reply is either `broken` (the exchange timed out or the connection closed:
 * try again later) or a mechanism mismatch (configuration).
 */
export type AuthResult =
  | { readonly ok: true; readonly mechanism: string }
  | { readonly ok: false; readonly problem: string; readonly reply?: Reply; readonly broken?: boolean };

/** AUTH with the configured credentials, only over an encrypted connection; true when the next step may run. */
export async function authStep(
  ctx: CheckContext,
  conversation: Conversation,
  caps: Capabilities,
  encrypted: boolean,
): Promise<boolean> {
  const { credentials } = ctx.config;
  if (credentials === undefined) {
    return add(ctx, skip('auth', 'no credentials (set SMTP_USER and SMTP_PASS to test them)'));
  }
  if (!encrypted) {
    // send would refuse the same (SMTP_AUTH_WITHOUT_TLS, 78): the check must not pass.
    return add(
      ctx,
      fail(
        'auth',
        'credentials are set but the connection is not encrypted: send refuses AUTH without TLS',
        ExitCodes.CONFIG,
        ['use --security starttls on a port that offers STARTTLS, or --security implicit (465/2465)'],
      ),
    );
  }
  const start = performance.now();
  const result = await authenticate(conversation, caps, credentials, ctx.config.timeoutMs);
  return add(ctx, authReport(ctx, scrubbed(result, credentialForms(credentials)), elapsed(start)));
}

/** The result without the credentials a server may have echoed in its reply or an error message. */
function scrubbed(result: AuthResult, forms: readonly string[]): AuthResult {
  if (result.ok) return result;
  const problem = scrubText(result.problem, forms);
  return result.reply === undefined
    ? { ...result, problem }
    : { ...result, problem, reply: scrubReply(result.reply, forms) };
}

function authReport(ctx: CheckContext, result: AuthResult, ms: number): StepReport {
  if (result.ok) return pass('auth', `authenticated (${result.mechanism})`, ms);
  if (result.reply === undefined) {
    // A timeout or a closed connection is temporary, as for the EHLO and STARTTLS steps.
    const exitCode = result.broken === true ? ExitCodes.TEMP_FAIL : ExitCodes.CONFIG;
    return fail('auth', result.problem, exitCode, [], ms);
  }
  const exitCode = result.reply.code >= 500 ? ExitCodes.CONFIG : ExitCodes.TEMP_FAIL;
  const summary = replySummary(result.reply);
  return fail('auth', summary, exitCode, advise(ctx, { reply: result.reply, phase: 'auth' }), ms);
}

export async function authenticate(
  conversation: Conversation,
  caps: Capabilities,
  credentials: { readonly user: string; readonly pass: string },
  timeoutMs: number,
): Promise<AuthResult> {
  // The first of these the server offers, spoken by the session's own SASL code (sasl.ts).
  const mechanism = (['PLAIN', 'LOGIN', 'CRAM-MD5'] as const).find((m) => caps.auth.includes(m));
  try {
    if (mechanism !== undefined) {
      let { command, exchange } = startAuth(mechanism, credentials);
      let reply = await conversation.command(command, timeoutMs);
      while (reply.code === 334 && exchange.challenges < MAX_AUTH_CHALLENGES) {
        const data = answerChallenge(exchange, reply.lines[0] ?? '', credentials, hmacMd5);
        exchange = { ...exchange, challenges: exchange.challenges + 1 };
        reply = await conversation.command({ verb: 'AUTH_RESPONSE', data }, timeoutMs);
      }
      return reply.code === 235 ? { ok: true, mechanism } : refused(reply);
    }
  } catch (error) {
    // Not the error's text: a malformed reply is quoted in it, and servers echo credentials while
    // authenticating (threats.md §5; the session does the same, echoSafeError).
    return { ok: false, problem: `AUTH failed: ${unquoted(error)}`, broken: true };
  }
  const offered = caps.auth.length > 0 ? caps.auth.join(' ') : 'nothing';
  return {
    ok: false,
    problem: `the server offers no AUTH mechanism this check supports (it offers ${offered})`,
  };
}

/** What failed, by its code only (SMTP_REPLY_MALFORMED, SMTP_TIMEOUT, ECONNRESET…), never its text. */
function unquoted(error: unknown): string {
  if (isSmtpError(error)) return `${error.code} (the reply is not quoted: it may echo credentials)`;
  return errorCodeOf(error) ?? (error instanceof Error ? error.name : 'unexpected failure');
}

function refused(reply: Reply): AuthResult {
  return { ok: false, problem: `refused with ${reply.code}`, reply };
}
