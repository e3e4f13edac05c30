import { describe, expect, test } from 'vitest';
import { runCli } from './cli-harness.js';

describe('smtp-machine demo', () => {
  test('shows throttling, a 554 rejection, a local size refusal and connection recycling', async () => {
    const run = await runCli(['demo', '--messages', '120', '--json'], { timeoutMs: 30_000 });
    const report = JSON.parse(run.stdout) as {
      ok: boolean;
      problems: string[];
      expected: { delivered: number; rejected: number };
      throttled: number;
      connections: number;
      results: { status: string; attempts: number; reply?: { code: number }; error?: { code: string } }[];
      server: { accepted: number; refused: Record<string, number> };
    };
    expect(report.problems).toEqual([]);
    expect(run.code).toBe(0);
    expect(report.results).toHaveLength(120);
    expect(report.throttled).toBeGreaterThan(0);
    expect(report.connections).toBeGreaterThan(3);
    const tooLarge = report.results.filter((r) => r.error?.code === 'SMTP_MESSAGE_TOO_LARGE');
    expect(tooLarge).toHaveLength(1);
    expect(report.server.refused['message-too-long']).toBe(0);
    const rejected = report.results.filter((r) => r.reply?.code === 554);
    expect(rejected.length).toBe(report.expected.rejected);
    expect(rejected.every((r) => r.attempts === 1)).toBe(true);
    expect(report.server.accepted).toBe(report.expected.delivered);
  }, 30_000);
});
