import { describe, expect, test } from 'vitest';
import { DEMO_JSON } from '../../src/cli/json-shapes.js';
import { runCli } from './cli-harness.js';
import { shapeProblems } from './json-shape-check.js';

describe('smtp-machine demo', () => {
  test('shows throttling, a 554 rejection, a local size refusal and connection recycling', async () => {
    const run = await runCli(['demo', '--messages', '120', '--json'], { timeoutMs: 30_000 });
    const report = JSON.parse(run.stdout) as {
      ok: boolean;
      problems: string[];
      expected: { delivered: number; rejected: number };
      pool: {
        retriesByCause: Record<string, number>;
        rateLowered: number;
        rate: { start: number; lowest: number };
        connections: { opened: number };
      };
      results: {
        id: number;
        status: string;
        attempts: number;
        reply?: { code: number };
        error?: { code: string };
        history: { reply?: { code: number } }[];
      }[];
      server: { accepted: number; refused: Record<string, number> };
    };
    expect(shapeProblems(report, DEMO_JSON)).toEqual([]);
    expect(report.problems).toEqual([]);
    expect(run.code).toBe(0);
    expect(report.results.map((r) => r.id)).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
    // Throttling: the pool retried 454s and lowered its rate.
    expect(report.pool.retriesByCause['slow-down']).toBeGreaterThan(0);
    expect(report.pool.rateLowered).toBeGreaterThan(0);
    expect(report.pool.rate.lowest).toBeLessThan(report.pool.rate.start);
    // Recycling: the session cap ended connections, the pool reconnected at once.
    expect(report.pool.retriesByCause.reconnect).toBeGreaterThan(0);
    expect(report.server.refused['session-cap']).toBeGreaterThan(0);
    expect(report.pool.connections.opened).toBeGreaterThan(3);
    const tooLarge = report.results.filter((r) => r.error?.code === 'SMTP_MESSAGE_TOO_LARGE');
    expect(tooLarge).toHaveLength(1);
    expect(tooLarge[0]?.attempts).toBe(1);
    expect(report.server.refused['message-too-long']).toBe(0);
    const rejected = report.results.filter((r) => r.reply?.code === 554);
    expect(rejected.length).toBe(report.expected.rejected);
    // Never retried: the 554 is the only 554 in the history, and the last attempt.
    for (const r of rejected) {
      expect(r.history.filter((a) => a.reply?.code === 554)).toHaveLength(1);
      expect(r.history.at(-1)?.reply?.code).toBe(554);
    }
    expect(report.server.accepted).toBe(report.expected.delivered);
  }, 30_000);

  // The smallest count --messages takes must not end as "a bug" (70): the run either meets its
  // expectations or the count is refused as usage (64). 10 is accepted, yet 10 (and 50) messages
  // never reach the 25-per-connection session cap (nor, with 10, the send rate).
  test('the smallest accepted --messages does not exit 70', async () => {
    const run = await runCli(['demo', '--messages', '10', '--json'], { timeoutMs: 30_000 });
    expect(run.code === 0 || run.code === 64, `exit ${run.code}: ${run.stdout.slice(0, 300)}`).toBe(true);
  }, 30_000);
});
