/**
 * What the steps of `smtp-machine check` share: the connection settings, the reports so far, and the
 * helpers that record a step's outcome with its likely cause and fix (the SES advice table).
 */
import type * as tls from 'node:tls';
import type { Phase } from '../../errors/smtp-error.js';
import type { Reply } from '../../protocol/reply-types.js';
import { type SesAdviceInput, sesAdvice } from '../../ses/advice.js';
import type { ConnectionConfig } from '../connection.js';
import { replySummary } from '../error-text.js';
import { type ExitCode, ExitCodes } from '../exit-codes.js';

export interface StepReport {
  readonly step: string;
  readonly status: 'pass' | 'fail' | 'skip' | 'warn';
  readonly summary: string;
  readonly ms?: number;
  readonly details?: readonly string[];
  readonly advice: readonly string[];
  readonly exitCode?: ExitCode;
}

export interface CheckContext {
  readonly config: ConnectionConfig;
  readonly tlsOptions: tls.ConnectionOptions;
  readonly steps: StepReport[];
  /** SIGINT/SIGTERM: every wait rejects with ProbeAborted and its socket is closed. */
  readonly signal: AbortSignal;
}

export const SES_PORTS_NOTE = 'Amazon SES: implicit TLS on 465 and 2465, STARTTLS on 587, 2587 and 25';

export const elapsed = (start: number): number => Math.round(performance.now() - start);

/** Records a step; true when the next step may run. */
export function add(ctx: CheckContext, report: StepReport): boolean {
  ctx.steps.push(report);
  return report.status !== 'fail';
}

export const pass = (step: string, summary: string, ms?: number): StepReport =>
  report(step, 'pass', summary, ms);
export const warn = (step: string, summary: string, ms?: number): StepReport =>
  report(step, 'warn', summary, ms);
export const skip = (step: string, summary: string): StepReport => report(step, 'skip', summary);

function report(step: string, status: StepReport['status'], summary: string, ms?: number): StepReport {
  return { step, status, summary, ...(ms === undefined ? {} : { ms }), advice: [] };
}

export function fail(
  step: string,
  summary: string,
  exitCode: ExitCode,
  advice: string[],
  ms?: number,
): StepReport {
  return { step, status: 'fail', summary, exitCode, advice, ...(ms === undefined ? {} : { ms }) };
}

/** The SES advice table's rows for this failure, with what the check knows of the connection. */
export function advise(ctx: CheckContext, input: SesAdviceInput): string[] {
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

export function replyFailure(
  ctx: CheckContext,
  step: string,
  reply: Reply,
  phase: Phase,
  ms: number,
): StepReport {
  const exitCode = reply.code >= 500 ? ExitCodes.UNAVAILABLE : ExitCodes.TEMP_FAIL;
  return fail(step, replySummary(reply), exitCode, advise(ctx, { reply, phase }), ms);
}
