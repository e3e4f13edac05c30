/**
 * Turns per-run results into medians, same-run ratios (ours/nodemailer, ours/raw) and a text table.
 * Medians only: on a shared 2-core machine a single timing means nothing.
 */
import type { ClientName } from './bench-client.js';
import type { MessagePlan, WorkerResult } from './client-worker.js';

export type CaseKind = 'throughput' | 'latency' | 'big';

export interface CaseSpec extends MessagePlan {
  readonly name: string;
  readonly kind: CaseKind;
  readonly sink: string;
  readonly clients: readonly ClientName[];
  /** One-way delay added by the latency proxy (ms). */
  readonly latencyMs?: number;
  /** Sink and client pinned to these CPUs (`taskset -c`): the one-core cases. */
  readonly cpus?: string;
}

export interface ClientSummary {
  readonly runs: number;
  readonly failures: readonly string[];
  readonly msgPerSec: number;
  readonly msgPerSecMin: number;
  readonly msgPerSecMax: number;
  readonly wallMs: number;
  readonly cpuMsPerMsg: number;
  readonly peakRssMb: number;
  readonly extraRssMb: number;
  /** Latency cases: wall / nominal RTT (2 × one-way delay) / messages. */
  readonly rttPerMsg?: number;
  /** Latency cases: wall / measured RTT (NOOP through the proxy) / messages. */
  readonly measuredRttPerMsg?: number;
  readonly note?: string;
  readonly raw: readonly WorkerResult[];
}

export interface CaseResult {
  readonly spec: CaseSpec;
  readonly measuredRttMs?: number;
  readonly clients: Partial<Record<ClientName, ClientSummary>>;
  readonly ratios: Record<string, number>;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export function summarize(
  spec: CaseSpec,
  results: readonly WorkerResult[],
  failures: readonly string[],
  measuredRttMs: number | undefined,
): ClientSummary {
  const rates = results.map((r) => (r.messages / r.wallMs) * 1000);
  const wallMs = median(results.map((r) => r.wallMs));
  const summary: ClientSummary = {
    runs: results.length,
    failures,
    msgPerSec: median(rates),
    msgPerSecMin: Math.min(...rates),
    msgPerSecMax: Math.max(...rates),
    wallMs,
    cpuMsPerMsg: median(results.map((r) => r.cpuMs / r.messages)),
    peakRssMb: median(results.map((r) => r.peakRssMb)),
    extraRssMb: median(results.map((r) => r.peakRssMb - r.baseRssMb)),
    ...(results[0]?.note === undefined ? {} : { note: results[0].note }),
    raw: results,
  };
  if (spec.latencyMs === undefined) return summary;
  return {
    ...summary,
    rttPerMsg: wallMs / (2 * spec.latencyMs) / spec.messages,
    ...(measuredRttMs === undefined ? {} : { measuredRttPerMsg: wallMs / measuredRttMs / spec.messages }),
  };
}

/** ours/nodemailer and ours/raw: throughput (×), CPU per message (nodemailer's ÷ ours), wall (ours ÷ raw). */
export function ratios(clients: CaseResult['clients'], rawReference?: ClientSummary): Record<string, number> {
  const ours = clients['smtp-machine'];
  const nodemailer = clients.nodemailer;
  const raw = clients.raw;
  const out: Record<string, number> = {};
  if (!ours) return out;
  if (nodemailer) {
    out['msg/s ours÷nodemailer'] = ours.msgPerSec / nodemailer.msgPerSec;
    out['cpu/msg nodemailer÷ours'] = nodemailer.cpuMsPerMsg / ours.cpuMsPerMsg;
  }
  if (raw) {
    out['msg/s ours÷raw'] = ours.msgPerSec / raw.msgPerSec;
    out['wall ours÷raw'] = ours.wallMs / raw.wallMs;
  }
  if (rawReference) out['wall ours÷raw pre-encoded'] = ours.wallMs / rawReference.wallMs;
  return out;
}

const pad = (text: string, width: number): string => text.padStart(width);
const fixed = (value: number | undefined, digits: number): string =>
  value === undefined || Number.isNaN(value) ? '-' : value.toFixed(digits);

export function formatTable(results: readonly CaseResult[]): string {
  const lines: string[] = [];
  const header = `${'case'.padEnd(40)} ${'client'.padEnd(13)} ${pad('msg/s', 8)} ${pad('min–max', 13)} ${pad('wall ms', 8)} ${pad('CPU ms/msg', 10)} ${pad('RTT/msg', 8)} ${pad('peak MB', 8)} ${pad('extra MB', 8)}`;
  lines.push(header, '-'.repeat(header.length));
  for (const result of results) {
    for (const [client, s] of Object.entries(result.clients)) {
      if (!s) continue;
      const range = `${s.msgPerSecMin.toFixed(0)}–${s.msgPerSecMax.toFixed(0)}`;
      const failed = s.failures.length > 0 ? ` (${s.failures.length} failed)` : '';
      lines.push(
        `${result.spec.name.padEnd(40)} ${client.padEnd(13)} ${pad(s.msgPerSec.toFixed(s.msgPerSec < 100 ? 1 : 0), 8)} ${pad(range, 13)} ${pad(s.wallMs.toFixed(0), 8)} ${pad(fixed(s.cpuMsPerMsg, 3), 10)} ${pad(fixed(s.rttPerMsg, 2), 8)} ${pad(s.peakRssMb.toFixed(0), 8)} ${pad(s.extraRssMb.toFixed(0), 8)}${failed}${s.note && s.note !== 'createClient' ? ` [${s.note}]` : ''}`,
      );
    }
    const ratioText = Object.entries(result.ratios)
      .map(([name, value]) => `${name} ${value.toFixed(2)}`)
      .join(' · ');
    const rtt =
      result.measuredRttMs === undefined ? '' : `measured RTT ${result.measuredRttMs.toFixed(1)} ms · `;
    if (ratioText || rtt) lines.push(`${''.padEnd(40)} ↳ ${rtt}${ratioText}`);
  }
  return lines.join('\n');
}
