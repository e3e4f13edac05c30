/** The demo's summary table and the expectations it checks (the outcomes the demo is meant to show). */
import type { DeliveryResult } from '../deliverer.js';
import { countByStatus } from '../delivery-run.js';
import type { TallySnapshot } from '../delivery-tally.js';
import { table } from '../output.js';

export interface DemoReport {
  readonly expected: { readonly delivered: number; readonly rejected: number; readonly tooLarge: number };
  /** Per message, in message order, with the pool's attempt history. */
  readonly results: readonly DeliveryResult[];
  readonly seconds: number;
  /** What the pool reported through its events (retries by cause, rate changes, connections). */
  readonly pool: TallySnapshot;
  readonly server: {
    readonly accepted: number;
    readonly connections: number;
    readonly refused: Readonly<Record<string, number>>;
  };
  readonly tooLargeCode: string;
}

/** What each retry cause of the pool means in the demo's setting. */
const CAUSE_MEANING: Readonly<Record<string, string>> = {
  'slow-down': '454 Maximum sending rate exceeded: rate lowered, then retried',
  reconnect: 'connection ended by the server (421 session cap): resent at once on a new one',
  retry: 'temporary failure: retried after a back-off',
  'reduce-connections': '421 Too many concurrent SMTP connections: fewer connections',
  recipients: '4xx recipients resent in a new transaction',
  'stop-sending': '454 Daily message quota exceeded',
};

function counts(report: DemoReport) {
  const count = countByStatus(report.results);
  const tooLarge = report.results.filter((r) => r.error?.code === report.tooLargeCode);
  const rejected554 = report.results.filter((r) => r.status === 'rejected' && r.reply?.code === 554);
  return { ...count, tooLarge, rejected554 };
}

/** The 554 came once, on the last attempt: nothing was tried after it. */
function answeredOnceAndFinal(result: DeliveryResult, code: number): boolean {
  const with554 = result.history.filter((attempt) => attempt.reply?.code === code);
  return with554.length === 1 && result.history.at(-1)?.reply?.code === code;
}

/** Each expectation the run missed, in words; [] when the demo showed everything it should. */
export function checkExpectations(report: DemoReport): string[] {
  const c = counts(report);
  return [...outcomeExpectations(report, c), ...poolExpectations(report, c)]
    .filter(([ok]) => !ok)
    .map(([, text]) => text);
}

type Counts = ReturnType<typeof counts>;
type Expectation = readonly [ok: boolean, problem: string];

/** Per message: the deliveries, the 554s answered once, the oversized message never uploaded. */
function outcomeExpectations({ expected, server }: DemoReport, c: Counts): Expectation[] {
  return [
    [c.delivered === expected.delivered, `delivered ${c.delivered}, expected ${expected.delivered}`],
    [
      c.rejected554.length === expected.rejected,
      `554 rejections ${c.rejected554.length}, expected ${expected.rejected}`,
    ],
    [c.rejected554.every((r) => answeredOnceAndFinal(r, 554)), 'a 554 rejection was retried'],
    [
      c.tooLarge.length === expected.tooLarge,
      `oversized refusals ${c.tooLarge.length}, expected ${expected.tooLarge}`,
    ],
    [
      c.tooLarge.every((r) => r.reply === undefined && r.attempts === 0),
      'the oversized message was queued or attempted (the pool refuses it in send())',
    ],
    [
      (server.refused['message-too-long'] ?? 0) === 0,
      'the server refused a message as too long (it was uploaded)',
    ],
  ];
}

/** Across the run: throttling slowed the pool, 421 recycled connections, nothing was lost. */
function poolExpectations({ pool, server }: DemoReport, c: Counts): Expectation[] {
  return [
    [
      (pool.retriesByCause['slow-down'] ?? 0) > 0 &&
        pool.rateLowered > 0 &&
        pool.rate !== undefined &&
        pool.rate.lowest < pool.rate.start,
      'no throttling was seen, or the send rate was not lowered',
    ],
    [
      (pool.retriesByCause.reconnect ?? 0) > 0 && (server.refused['session-cap'] ?? 0) > 0,
      'no connection was recycled after a 421 session cap',
    ],
    [c.unknown === 0 && c.failed === 0, `${c.failed} temporary failures and ${c.unknown} unknown outcomes`],
    [
      server.accepted === c.delivered,
      `server accepted ${server.accepted}, client saw ${c.delivered} delivered`,
    ],
  ];
}

export function demoSummaryText(report: DemoReport, problems: readonly string[]): string {
  return [
    '',
    table(outcomeRows(report, counts(report))),
    '',
    table(retryRows(report.pool)),
    '',
    ...poolLines(report),
    '',
    problems.length === 0 ? 'All outcomes as expected.' : `Unexpected: ${problems.join('; ')}`,
  ].join('\n');
}

function outcomeRows(report: DemoReport, c: Counts): string[][] {
  const reasons = new Map<string, number>();
  for (const r of c.rejected554) {
    const reason = (r.reply?.text ?? '').split(':')[0] ?? '';
    reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
  }
  return [
    ['outcome', 'messages', 'detail'],
    [
      'delivered',
      String(c.delivered),
      `${(c.delivered / report.seconds).toFixed(1)} messages/s over ${report.seconds.toFixed(1)} s`,
    ],
    ...[...reasons].map(([reason, n]) => ['rejected', String(n), `554 ${reason} (not retried)`]),
    [
      'refused locally',
      String(c.tooLarge.length),
      `${report.tooLargeCode}: over 10 MB, refused in send(), never queued`,
    ],
    ['failed / unknown', `${c.failed} / ${c.unknown}`, ''],
  ];
}

function retryRows(pool: TallySnapshot): string[][] {
  return [
    ['retry cause', 'retries', 'meaning'],
    ...Object.entries(pool.retriesByCause).map(([cause, n]) => [
      cause,
      String(n),
      CAUSE_MEANING[cause] ?? '',
    ]),
  ];
}

function poolLines({ pool, server }: DemoReport): string[] {
  const rate = pool.rate;
  const pace =
    rate === undefined
      ? ''
      : `; client pace ${rate.start} → lowest ${rate.lowest.toFixed(0)}, ${rate.current.toFixed(0)} recipients/s at the end`;
  const closed = Object.entries(pool.connections.closed).map(([reason, n]) => `${reason} ${n}`);
  return [
    `throttling: ${pool.retriesByCause['slow-down'] ?? 0} × 454 retried, rate lowered ${pool.rateLowered}×${pace}`,
    `connections: ${pool.connections.opened} opened (closed: ${closed.join(', ') || 'none'}); ` +
      `server saw ${server.connections}, sent ${server.refused['session-cap'] ?? 0} × 421 session cap`,
    `server: accepted ${server.accepted}, 552 too long ${server.refused['message-too-long'] ?? 0}`,
  ];
}
