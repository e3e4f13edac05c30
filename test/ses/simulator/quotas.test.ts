import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { SendingQuotas } from '../../../src/ses/simulator/quotas.js';

const DAY = 24 * 3600_000;

describe('SendingQuotas', () => {
  it('allows everything without limits', () => {
    const quotas = new SendingQuotas({}, () => 0);
    quotas.record(1_000_000);
    expect(quotas.check(1_000_000)).toBe('ok');
  });

  it('counts recipients, not messages, within one second', () => {
    let now = 0;
    const quotas = new SendingQuotas({ maxSendRate: 5 }, () => now);
    quotas.record(4);
    expect(quotas.check(1)).toBe('ok');
    expect(quotas.check(2)).toBe('rate');
    now = 999;
    expect(quotas.check(2)).toBe('rate');
    now = 1000;
    expect(quotas.check(5)).toBe('ok');
  });

  it("a message over one second's rate (or any, below 1 per second) goes after a long enough pause", () => {
    let now = 0;
    const sandbox = new SendingQuotas({ maxSendRate: 1 }, () => now);
    expect(sandbox.check(2)).toBe('ok'); // nothing sent yet: a burst
    sandbox.record(2);
    now = 1999;
    expect(sandbox.check(2)).toBe('rate');
    now = 2000;
    expect(sandbox.check(2)).toBe('ok');
    const slow = new SendingQuotas({ maxSendRate: 0.5 }, () => now);
    expect(slow.check(1)).toBe('ok');
    slow.record(1);
    now += 1999;
    expect(slow.check(1)).toBe('rate');
    now += 1;
    expect(slow.check(1)).toBe('ok');
  });

  it('reports the daily quota before the rate', () => {
    const quotas = new SendingQuotas({ maxSendRate: 1, dailyQuota: 1 }, () => 0);
    quotas.record(1);
    expect(quotas.check(1)).toBe('daily-quota');
  });

  it('uses a rolling 24 h window', () => {
    let now = 0;
    const quotas = new SendingQuotas({ dailyQuota: 2 }, () => now);
    quotas.record(2);
    now = DAY - 1;
    expect(quotas.check(1)).toBe('daily-quota');
    now = DAY;
    expect(quotas.check(2)).toBe('ok');
    expect(quotas.sentWithin(DAY)).toBe(0);
  });

  test.prop(
    [
      fc.oneof(fc.integer({ min: 1, max: 10 }), fc.constantFrom(0.25, 0.5, 1.5)),
      fc.integer({ min: 1, max: 40 }),
      fc.array(fc.tuple(fc.integer({ min: 0, max: 4 * 3600_000 }), fc.integer({ min: 1, max: 12 })), {
        maxLength: 60,
      }),
    ],
    { numRuns: 300 },
  )(
    'never lets through more than the limits in any window, and refuses only when it must',
    (rate, daily, steps) => {
      let now = 0;
      const quotas = new SendingQuotas({ maxSendRate: rate, dailyQuota: daily }, () => now);
      const sent: { at: number; n: number }[] = [];
      const within = (ms: number) => sent.filter((s) => s.at > now - ms).reduce((sum, s) => sum + s.n, 0);
      for (const [advance, n] of steps) {
        now += advance % 3 === 0 ? advance : advance % 1500; // mix bursts with long gaps
        const verdict = quotas.check(n);
        const wouldBreakDaily = within(DAY) + n > daily;
        const wouldBreakRate = n <= rate ? within(1000) + n > rate : within((1000 * n) / rate) > 0;
        expect(verdict).toBe(wouldBreakDaily ? 'daily-quota' : wouldBreakRate ? 'rate' : 'ok');
        if (verdict === 'ok') {
          quotas.record(n);
          sent.push({ at: now, n });
        }
      }
    },
  );
});
