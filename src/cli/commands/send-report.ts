/** Human and JSON summaries of `smtp-machine send` results, with SES advice for failures. */
import { type ErrorCode, ErrorCodes } from '../../errors/codes.js';
import type { Phase } from '../../errors/smtp-error.js';
import { sesAdvice } from '../../ses/advice.js';
import type { Provider } from '../client-config.js';
import type { ConnectionConfig } from '../connection.js';
import type { DeliveryResult } from '../deliverer.js';

export interface SendSummary {
  readonly total: number;
  readonly delivered: number;
  readonly rejected: number;
  readonly failed: number;
  readonly unknown: number;
  readonly retries: number;
  readonly retriesByCause: Readonly<Record<string, number>>;
}

export function summarize(results: readonly DeliveryResult[]): SendSummary {
  const retriesByCause: Record<string, number> = {};
  let retries = 0;
  const count = { delivered: 0, rejected: 0, failed: 0, unknown: 0 };
  for (const result of results) {
    count[result.status] += 1;
    for (const [cause, n] of Object.entries(result.retries)) {
      retriesByCause[cause] = (retriesByCause[cause] ?? 0) + n;
      retries += n;
    }
  }
  return { total: results.length, ...count, retries, retriesByCause };
}

export function summaryText(summary: SendSummary & { invalid: number }): string {
  const causes = Object.entries(summary.retriesByCause).map(([cause, n]) => `${cause} ×${n}`);
  return [
    `${summary.delivered}/${summary.total + summary.invalid} delivered, ${summary.rejected} rejected, ` +
      `${summary.failed} failed temporarily, ${summary.unknown} unknown, ${summary.invalid} invalid lines`,
    ...(causes.length > 0 ? [`retries: ${causes.join(', ')}`] : []),
  ].join('\n');
}

export function describeResult(result: DeliveryResult, provider: Provider, config: ConnectionConfig): string {
  const retries = Object.values(result.retries).reduce((a, b) => a + b, 0);
  const tries = retries > 0 ? ` after ${retries} ${retries === 1 ? 'retry' : 'retries'}` : '';
  if (result.status === 'delivered') {
    const refused = (result.rejectedRecipients ?? []).map(
      (r) => `  refused ${r.recipient}: ${r.code} ${r.text}`,
    );
    const id = result.messageId === undefined ? '' : ` (message id ${result.messageId})`;
    return [`delivered${id}${tries}: ${result.reply?.code} ${result.reply?.text}`, ...refused].join('\n');
  }
  const what = {
    rejected: 'rejected',
    failed: 'not sent (temporary failure)',
    unknown: 'outcome unknown (may have been delivered)',
  }[result.status];
  const lines = [`${what}${tries}: ${result.error?.message ?? ''}`];
  if (provider === 'ses' || config.region !== undefined) {
    const advice = sesAdvice({
      ...(result.error === undefined ? {} : { code: result.error.code as ErrorCode }),
      ...(result.reply === undefined
        ? {}
        : { reply: { code: result.reply.code, lines: result.reply.text.split('\n') } }),
      ...(result.error?.phase === undefined ? {} : { phase: result.error.phase as Phase }),
      port: config.port,
      host: config.host,
      security: config.security,
      ...(config.region === undefined ? {} : { region: config.region }),
      ...(config.credentials === undefined ? {} : { pass: config.credentials.pass }),
    });
    lines.push(...advice.map((a) => `hint: ${a}`));
  } else if (result.error?.code === ErrorCodes.TLS_FAILED) {
    lines.push('hint: run `smtp-machine check` with the same flags to diagnose the connection');
  }
  return lines.join('\n');
}
