/** The demo's summary table and the expectations it checks (the outcomes the demo is meant to show). */
import type { DeliveryResult } from '../deliverer.js';
import { table } from '../output.js';
import { summarize } from './send-report.js';

export interface DemoReport {
  readonly expected: { readonly delivered: number; readonly rejected: number; readonly tooLarge: number };
  readonly results: readonly DeliveryResult[];
  readonly seconds: number;
  readonly connections: number;
  readonly throttled: number;
  readonly clientRate: { readonly start: number; readonly end: number };
  readonly server: {
    readonly accepted: number;
    readonly connections: number;
    readonly refused: Readonly<Record<string, number>>;
  };
  readonly tooLargeCode: string;
}

function counts(report: DemoReport) {
  const tooLarge = report.results.filter((r) => r.error?.code === report.tooLargeCode);
  const rejected554 = report.results.filter((r) => r.status === 'rejected' && r.reply?.code === 554);
  return { ...summarize(report.results), tooLarge, rejected554 };
}

/** Each expectation the run missed, in words; [] when the demo showed everything it should. */
export function checkExpectations(report: DemoReport): string[] {
  const c = counts(report);
  const problems: string[] = [];
  const expect = (ok: boolean, text: string): void => {
    if (!ok) problems.push(text);
  };
  expect(
    c.delivered === report.expected.delivered,
    `delivered ${c.delivered}, expected ${report.expected.delivered}`,
  );
  expect(
    c.rejected554.length === report.expected.rejected,
    `554 rejections ${c.rejected554.length}, expected ${report.expected.rejected}`,
  );
  expect(
    c.rejected554.every((r) => r.attempts === 1),
    'a 554 rejection was retried',
  );
  expect(
    c.tooLarge.length === report.expected.tooLarge,
    `oversized refusals ${c.tooLarge.length}, expected ${report.expected.tooLarge}`,
  );
  expect(
    c.tooLarge.every((r) => r.reply === undefined),
    'the oversized message reached the server',
  );
  expect(
    (report.server.refused['message-too-long'] ?? 0) === 0,
    'the server refused a message as too long (it was uploaded)',
  );
  expect(
    report.throttled > 0 && (c.retriesByCause['ses.454.max-send-rate'] ?? 0) > 0,
    'no throttling was seen or handled',
  );
  expect((c.retriesByCause['ses.421.max-message-count'] ?? 0) > 0, 'no connection was recycled after a 421');
  expect(
    c.unknown === 0 && c.failed === 0,
    `${c.failed} temporary failures and ${c.unknown} unknown outcomes`,
  );
  expect(
    report.server.accepted === c.delivered,
    `server accepted ${report.server.accepted}, client saw ${c.delivered} delivered`,
  );
  return problems;
}

export function demoSummaryText(report: DemoReport, problems: readonly string[]): string {
  const c = counts(report);
  const reasons = new Map<string, number>();
  for (const r of c.rejected554) {
    const reason = (r.reply?.text ?? '').split(':')[0] ?? '';
    reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
  }
  const rows: string[][] = [
    ['outcome', 'messages', 'detail'],
    [
      'delivered',
      String(c.delivered),
      `${(c.delivered / report.seconds).toFixed(1)} messages/s over ${report.seconds.toFixed(1)} s`,
    ],
    ...[...reasons].map(([reason, n]) => ['rejected', String(n), `554 ${reason} (not retried)`]),
    ['refused locally', String(c.tooLarge.length), `${report.tooLargeCode}: over 10 MB, refused before MAIL`],
    ['failed / unknown', `${c.failed} / ${c.unknown}`, ''],
  ];
  const retryRows: string[][] = [
    ['retry cause', 'retries'],
    ...Object.entries(c.retriesByCause).map(([cause, n]) => [cause, String(n)]),
  ];
  return [
    '',
    table(rows),
    '',
    table(retryRows),
    '',
    `throttling: ${report.throttled} × 454 handled; client pace ${report.clientRate.start} → ${report.clientRate.end.toFixed(0)} recipients/s`,
    `connections: ${report.connections} opened (session cap 421 → reconnect); server saw ${report.server.connections}`,
    `server: accepted ${report.server.accepted}, 552 too long ${report.server.refused['message-too-long'] ?? 0}`,
    '',
    problems.length === 0 ? 'All outcomes as expected.' : `Unexpected: ${problems.join('; ')}`,
  ].join('\n');
}
