/** Human and JSON summaries of `smtp-machine send` results, with SES advice and TLS-mode hints for failures. */
import { type ErrorCode, ErrorCodes } from '../../errors/codes.js';
import type { Phase } from '../../errors/smtp-error.js';
import { sesAdvice, tlsModeAdvice } from '../../ses/advice.js';
import { knownPortSecurity } from '../../ses/endpoints.js';
import type { Provider } from '../client-config.js';
import type { ConnectionConfig } from '../connection.js';
import type { DeliveryResult, RecipientResult } from '../deliverer.js';
import { countByStatus } from '../delivery-run.js';
import type { DeliveryTally, TallySnapshot } from '../delivery-tally.js';
import { oneLine } from '../error-text.js';
import { type ExitCode, ExitCodes } from '../exit-codes.js';
import type { Output } from '../output.js';
import { certificateAdvice, isCertificateProblem } from './tls-mode.js';

/** The retry and connection counts are the tally's (free reconnects included); the rest is per message. */
export interface SendSummary
  extends Pick<TallySnapshot, 'retries' | 'retriesByCause' | 'retriesByCode' | 'connections'> {
  readonly total: number;
  readonly delivered: number;
  /** Of the delivered, those some recipient did not get (refused, left over, or maybe): their lines say which. */
  readonly partlyDelivered: number;
  readonly rejected: number;
  readonly failed: number;
  readonly unknown: number;
  /** Times the send rate was lowered after throttling, and the rate's course (with --rate, or once it changed). */
  readonly throttled: number;
  readonly rate?: { readonly start: number; readonly end: number; readonly lowest: number };
}

/**
 * `--batch`: the summary as the last JSON line (--json) or as text on stderr, with the advice for
 * the run's failures once each (the lines carry none: a stopped batch would repeat it per line).
 */
export function printBatchSummary(
  output: Output,
  results: readonly DeliveryResult[],
  tally: DeliveryTally,
  run: {
    readonly invalid: number;
    readonly exitCode: ExitCode;
    readonly provider: Provider;
    readonly config: ConnectionConfig;
  },
): void {
  const hints = [...new Set(results.flatMap((result) => resultHints(result, run.provider, run.config)))];
  const summary = {
    ...summarize(results, tally.snapshot()),
    invalid: run.invalid,
    exitCode: run.exitCode,
    hints,
  };
  if (output.json) output.record({ summary });
  else output.note(summaryText(summary));
}

/** One message: the result on stdout (JSON, or text when delivered), a failure in text on stderr. */
export function printResult(
  output: Output,
  result: DeliveryResult | undefined,
  provider: Provider,
  config: ConnectionConfig,
): void {
  if (result === undefined) return;
  const hints = resultHints(result, provider, config);
  // `ok` goes with the exit status: a message some recipients did not get is not ok (69 or 75).
  const data = { ok: result.exitCode === ExitCodes.OK, ...result, id: undefined, hints };
  if (output.json || result.status === 'delivered') output.result(data, () => describeResult(result, hints));
  else output.note(describeResult(result, hints));
}

export function summarize(results: readonly DeliveryResult[], tally: TallySnapshot): SendSummary {
  return {
    total: results.length,
    ...countByStatus(results),
    partlyDelivered: results.filter(
      (r) => r.status === 'delivered' && (r.rejectedRecipients ?? []).length > 0,
    ).length,
    retries: tally.retries,
    retriesByCause: tally.retriesByCause,
    retriesByCode: tally.retriesByCode,
    throttled: tally.rateLowered,
    ...(tally.rate === undefined
      ? {}
      : { rate: { start: tally.rate.start, end: tally.rate.current, lowest: tally.rate.lowest } }),
    connections: tally.connections,
  };
}

export function summaryText(summary: SendSummary & { invalid: number; hints?: readonly string[] }): string {
  const causes = Object.entries(summary.retriesByCause).map(([cause, n]) => `${cause} ×${n}`);
  const rate = summary.rate;
  return [
    `${summary.delivered}/${summary.total + summary.invalid} delivered` +
      (summary.partlyDelivered > 0 ? ` (${summary.partlyDelivered} not to every recipient)` : '') +
      `, ${summary.rejected} rejected, ` +
      `${summary.failed} not sent, ${summary.unknown} unknown, ${summary.invalid} invalid lines`,
    ...(causes.length > 0 ? [`retries: ${causes.join(', ')}`] : []),
    ...(rate !== undefined && summary.throttled > 0
      ? [
          `throttled: rate lowered ${summary.throttled}× (${rate.start} → ${rate.lowest.toFixed(1)}, ` +
            `${rate.end.toFixed(1)} recipients/s at the end)`,
        ]
      : []),
    `connections: ${summary.connections.opened} opened`,
    ...(summary.hints ?? []).map((hint) => `hint: ${hint}`),
  ].join('\n');
}

/**
 * A greeting that never came on a plaintext/STARTTLS attempt (an implicit-TLS port waits for a
 * ClientHello), or a TLS handshake that failed without a certificate problem on an implicit-TLS
 * attempt (a STARTTLS port greets in plaintext): the two faces of the port/TLS-mode mix-up.
 */
export function looksLikeTlsModeMixUp(result: DeliveryResult, config: ConnectionConfig): boolean {
  const { error } = result;
  if (error === undefined) return false;
  if (error.code === ErrorCodes.TIMEOUT && error.phase === 'greeting') {
    // Not on a port known to speak STARTTLS (SES's 25, 587, 2587): implicit TLS is refused there.
    return config.security !== 'implicit' && knownPortSecurity(config.host, config.port) !== 'starttls';
  }
  if (error.code === ErrorCodes.TLS_FAILED && config.security === 'implicit') {
    return !isCertificateProblem(error.message);
  }
  return false;
}

/** The `check` command line for the same server, flags included (never credentials). */
export function checkCommandLine(config: ConnectionConfig): string {
  const target = config.host.includes(':')
    ? `[${config.host}]:${config.port}`
    : `${config.host}:${config.port}`;
  const ca = config.caFile === undefined ? '' : ` --ca ${config.caFile}`;
  return `smtp-machine check ${target} --security ${config.security}${ca}`;
}

/** Hints for a failed result: SES advice (SES provider or region), the TLS-mode mix-up and `check`. */
export function resultHints(result: DeliveryResult, provider: Provider, config: ConnectionConfig): string[] {
  if (result.status === 'delivered') return [];
  const hints: string[] = [];
  const base = {
    ...(result.error === undefined ? {} : { code: result.error.code as ErrorCode }),
    ...(result.error?.phase === undefined ? {} : { phase: result.error.phase as Phase }),
    port: config.port,
    host: config.host,
    security: config.security,
  };
  if (provider === 'ses' || config.region !== undefined) {
    hints.push(
      ...sesAdvice({
        ...base,
        ...(result.reply === undefined
          ? {}
          : { reply: { code: result.reply.code, lines: result.reply.text.split('\n') } }),
        ...(config.region === undefined ? {} : { region: config.region }),
        ...(config.credentials === undefined ? {} : { pass: config.credentials.pass }),
      }),
    );
  }
  if (result.error?.code === ErrorCodes.AUTH_WITHOUT_TLS) {
    // The error names the library's opt-out; the CLI has none (credentials never go in plaintext).
    hints.push(
      `credentials are set (SMTP_USER, SMTP_PASS or --pass-stdin) but --security ${config.security} ` +
        'would send them without TLS: use --security starttls or implicit, or unset SMTP_USER and ' +
        'SMTP_PASS to send without AUTH',
    );
  }
  const mixUp = looksLikeTlsModeMixUp(result, config);
  // The port/mode rows of the advice table hold for any server on the well-known ports (not the
  // rest: EC2's port 25 or the MTU are SES's advice).
  if (mixUp) hints.push(...tlsModeAdvice(base));
  const certificate =
    result.error?.code === ErrorCodes.TLS_FAILED && isCertificateProblem(result.error.message);
  if (certificate) {
    // Not the TLS mode: the server's certificate was not trusted (what `check` advises too).
    hints.push(
      certificateAdvice(result.error?.message ?? '', config.host),
      `run \`${checkCommandLine(config)}\` to see the certificate`,
    );
  } else if (mixUp || result.error?.code === ErrorCodes.TLS_FAILED) {
    const what = mixUp
      ? `this looks like a TLS-mode mix-up (implicit TLS vs STARTTLS on port ${config.port})`
      : 'the TLS handshake failed';
    hints.push(`${what}: run \`${checkCommandLine(config)}\` to see which mode the port speaks`);
  }
  return [...new Set(hints)];
}

export function describeResult(result: DeliveryResult, hints: readonly string[]): string {
  const retries = Math.max(0, result.attempts - 1);
  const tries = retries > 0 ? ` after ${retries} ${retries === 1 ? 'retry' : 'retries'}` : '';
  const refused = (result.rejectedRecipients ?? []).map(recipientLine);
  if (result.status === 'delivered') {
    const id = result.messageId === undefined ? '' : ` (message id ${result.messageId})`;
    const reply = result.reply === undefined ? '' : `${result.reply.code} ${oneLine(result.reply.text)}`;
    return [`delivered${id}${tries}: ${reply}`, ...refused].join('\n');
  }
  const what = {
    rejected: 'rejected',
    failed: notSentWording(result),
    unknown: 'outcome unknown (may have been delivered)',
  }[result.status];
  return [
    `${what}${tries}: ${result.error?.message ?? ''}`,
    ...refused,
    ...hints.map((a) => `hint: ${a}`),
  ].join('\n');
}

/** A recipient that did not (certainly) get the message, in the words of its own outcome. */
function recipientLine(r: RecipientResult): string {
  const why = r.code === undefined ? r.errorCode : `${r.code} ${oneLine(r.text ?? '')}`;
  if (r.outcome === 'unknown') return `  may have been delivered to ${r.recipient}: ${why}`;
  const how = r.outcome === 'rejected' ? 'refused' : 'not sent, may be retried later';
  return `  not delivered to ${r.recipient} (${how}): ${why}`;
}

/** Why a message was not sent, in the words of its exit code (78 and 64 are not worth a retry as is). */
function notSentWording({ exitCode, error }: DeliveryResult): string {
  if (exitCode === ExitCodes.SOFTWARE || error?.code === ErrorCodes.INTERNAL_ERROR) {
    return 'not sent (internal error)';
  }
  if (exitCode === ExitCodes.CONFIG) {
    return 'not sent (configuration problem: fix the credentials, TLS mode or certificate trust, then retry)';
  }
  if (exitCode === ExitCodes.USAGE) {
    return 'not sent (refused before sending: fix the message or the options)';
  }
  return 'not sent (temporary failure)';
}
