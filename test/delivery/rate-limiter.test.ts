import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../src/delivery/rate-limiter.js';
import { SmtpError } from '../../src/errors/smtp-error.js';
import { flushPromises, ManualClock } from '../support/manual-clock.js';

function limiter(
  ratePerSecond: number,
  burst: number,
  extra: Partial<ConstructorParameters<typeof RateLimiter>[0]> = {},
) {
  const clock = new ManualClock(1_000);
  return { clock, rl: new RateLimiter({ ratePerSecond, burst, clock, ...extra }) };
}

interface Grant {
  readonly index: number;
  readonly at: number;
  readonly n: number;
}

/** Largest sum of grants inside [grant i, grant j] minus what the bucket allows for that window. */
function worstExcess(grants: readonly Grant[], rate: number, burst: number): number {
  const sorted = [...grants].sort((a, b) => a.at - b.at);
  let worst = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < sorted.length; i++) {
    let sum = 0;
    for (let j = i; j < sorted.length; j++) {
      sum += sorted[j]!.n;
      const window = sorted[j]!.at - sorted[i]!.at;
      worst = Math.max(worst, sum - (burst + (rate * window) / 1000));
    }
  }
  return worst;
}

const arrivals = fc.record({
  rate: fc.double({ min: 0.5, max: 50, noNaN: true }),
  burst: fc.integer({ min: 1, max: 20 }),
  events: fc.array(
    fc.record({
      gap: fc.nat(1_500),
      size: fc.double({ min: 0, max: 1, noNaN: true }),
      kind: fc.constantFrom('take', 'try'),
    }),
    { minLength: 1, maxLength: 25 },
  ),
});

type Arrivals = typeof arrivals extends fc.Arbitrary<infer T> ? T : never;

/** Replays arrivals on a ManualClock, recording each grant at the (fake) time it happened. */
async function replay({ rate, burst, events }: Arrivals) {
  const { clock, rl } = limiter(rate, burst);
  const grants: Grant[] = [];
  const order: number[] = [];
  for (const [index, event] of events.entries()) {
    await clock.advanceAsync(event.gap);
    const n = Math.max(1, Math.ceil(event.size * burst));
    if (event.kind === 'try') {
      if (rl.tryTake(n) === 0) grants.push({ index, at: clock.now(), n });
    } else {
      void rl.take(n).then(() => {
        grants.push({ index, at: clock.now(), n });
        order.push(index);
      });
    }
  }
  const takes = events.flatMap((e, i) => (e.kind === 'take' ? [i] : []));
  for (let guard = 0; order.length < takes.length && guard < 1_000; guard++) {
    await clock.advanceToAsync(clock.nextDue ?? clock.now());
  }
  return { grants, order, takes, rl, clock };
}

describe('token bucket', () => {
  test.prop([arrivals], { numRuns: 200 })(
    'tokens granted in any window [t, t+W] never exceed burst + rate×W',
    async (input) => {
      const { grants } = await replay(input);
      expect(worstExcess(grants, input.rate, input.burst)).toBeLessThanOrEqual(1e-5);
    },
  );

  test.prop([arrivals], { numRuns: 200 })('take() callers are served in arrival order', async (input) => {
    const { order, takes } = await replay(input);
    expect(order).toEqual(takes);
  });

  it('starts full, then refills at the rate', () => {
    const { clock, rl } = limiter(10, 5);
    expect(rl.tryTake(5)).toBe(0);
    expect(rl.tryTake(1)).toBe(100);
    clock.advance(99);
    expect(rl.tryTake(1)).toBe(1);
    clock.advance(1);
    expect(rl.tryTake(1)).toBe(0);
    clock.advance(10_000);
    expect(rl.tokens).toBe(5);
  });

  it('tryTake never jumps the queue, and reports the wait behind it', async () => {
    const { clock, rl } = limiter(10, 5);
    rl.tryTake(5);
    const first = rl.take(3);
    expect(rl.waiting).toBe(1);
    clock.advance(200); // 2 tokens: enough for tryTake(1) but the waiter is first
    expect(rl.tryTake(1)).toBe(200);
    clock.advance(100);
    await first;
    expect(rl.waiting).toBe(0);
  });

  it('a small request waits behind a large one (FIFO, no overtaking)', async () => {
    const { clock, rl } = limiter(1, 4);
    rl.tryTake(4);
    const done: string[] = [];
    void rl.take(4).then(() => done.push('big'));
    void rl.take(1).then(() => done.push('small'));
    await clock.advanceAsync(1_000); // one token: 'small' could go, but 'big' is first
    expect(done).toEqual([]);
    await clock.advanceAsync(3_000);
    expect(done).toEqual(['big']);
    await clock.advanceAsync(1_000);
    expect(done).toEqual(['big', 'small']);
  });

  it('a request larger than burst waits for a full bucket, then leaves debt', async () => {
    const { clock, rl } = limiter(10, 5);
    expect(rl.tryTake(12)).toBe(0); // full bucket: granted, 7 tokens of debt
    expect(rl.tokens).toBe(-7);
    expect(rl.tryTake(1)).toBe(800);
    const big = rl.take(12);
    let granted = false;
    void big.then(() => {
      granted = true;
    });
    await clock.advanceAsync(1_199);
    expect(granted).toBe(false);
    await clock.advanceAsync(1);
    expect(granted).toBe(true);
  });

  it('take(0) and refusals of bad arguments', async () => {
    const { rl } = limiter(1, 1);
    rl.tryTake(1);
    await expect(rl.take(0)).resolves.toBeUndefined();
    expect(() => rl.tryTake(-1)).toThrow(SmtpError);
    expect(() => rl.tryTake(Number.NaN)).toThrow(/"n"/);
    expect(() => new RateLimiter({ ratePerSecond: 0 })).toThrow(/ratePerSecond/);
    expect(() => new RateLimiter({ ratePerSecond: 1, burst: Number.POSITIVE_INFINITY })).toThrow(/burst/);
    expect(new RateLimiter({ ratePerSecond: 14 }).burst).toBe(14);
    expect(new RateLimiter({ ratePerSecond: 0.2 }).burst).toBe(1);
  });
});

describe('abort', () => {
  it('removes the waiter, rejects with SMTP_ABORTED, and lets the next one go', async () => {
    const { clock, rl } = limiter(1, 2);
    rl.tryTake(2);
    const controller = new AbortController();
    const a = rl.take(2, controller.signal);
    const done: string[] = [];
    void rl.take(1).then(() => done.push('b'));
    expect(rl.waiting).toBe(2);
    controller.abort(new Error('caller gave up'));
    await expect(a).rejects.toMatchObject({ code: 'SMTP_ABORTED', outcome: 'not-sent' });
    expect(rl.waiting).toBe(1);
    await clock.advanceAsync(1_000); // 'b' needs one token, not the two 'a' wanted
    expect(done).toEqual(['b']);
    expect(clock.pending).toBe(0);
  });

  it('rejects at once when the signal is already aborted, taking nothing', async () => {
    const { rl } = limiter(1, 2);
    await expect(rl.take(1, AbortSignal.abort())).rejects.toMatchObject({ code: 'SMTP_ABORTED' });
    expect(rl.tokens).toBe(2);
  });

  it('aborting a waiter in the middle keeps the head timer', async () => {
    const { clock, rl } = limiter(1, 1);
    rl.tryTake(1);
    const controller = new AbortController();
    const done: string[] = [];
    void rl.take(1).then(() => done.push('a'));
    const b = rl.take(1, controller.signal);
    void rl.take(1).then(() => done.push('c'));
    controller.abort();
    await expect(b).rejects.toBeInstanceOf(SmtpError);
    await clock.advanceAsync(2_000);
    expect(done).toEqual(['a', 'c']);
  });
});

describe('rate changes and AIMD', () => {
  it('setRate re-times the waiting head', async () => {
    const { clock, rl } = limiter(1, 10);
    rl.tryTake(10);
    let granted = false;
    void rl.take(10).then(() => {
      granted = true;
    });
    await clock.advanceAsync(1_000); // 1 token at 1/s
    rl.setRate(9); // 9 more tokens at 9/s: one second
    await clock.advanceAsync(999);
    expect(granted).toBe(false);
    await clock.advanceAsync(1);
    expect(granted).toBe(true);
    expect(rl.currentRate).toBe(9);
  });

  it('onThrottled halves the rate (floor minRate), empties the bucket, and counts once per cooldown', () => {
    const { clock, rl } = limiter(16, 16, { minRate: 3 });
    rl.onThrottled();
    expect(rl.currentRate).toBe(8);
    expect(rl.tokens).toBe(0);
    rl.onThrottled(); // same congestion event reported by a parallel send
    expect(rl.currentRate).toBe(8);
    clock.advance(1_000);
    rl.onThrottled();
    expect(rl.currentRate).toBe(4);
    clock.advance(1_000);
    rl.onThrottled();
    expect(rl.currentRate).toBe(3);
    clock.advance(1_000);
    rl.onThrottled();
    expect(rl.currentRate).toBe(3);
  });

  it('onSuccess climbs back additively to the configured rate and no further', () => {
    const { clock, rl } = limiter(10, 10, { increaseStep: 1 });
    rl.onThrottled();
    expect(rl.currentRate).toBe(5);
    const climb: number[] = [];
    for (let i = 0; i < 7; i++) {
      rl.onSuccess();
      climb.push(rl.currentRate);
    }
    expect(climb).toEqual([6, 7, 8, 9, 10, 10, 10]);
    rl.setRate(4);
    expect(rl.currentRate).toBe(4);
    rl.onSuccess();
    expect(rl.currentRate).toBe(4);
    clock.advance(10_000);
    expect(rl.tokens).toBe(10);
  });

  it('the lowered rate governs refill after a throttle', () => {
    const { clock, rl } = limiter(10, 10);
    rl.onThrottled(); // 5/s, empty
    clock.advance(1_000);
    expect(rl.tokens).toBeCloseTo(5, 9);
  });
});

it('ManualClock fires timers scheduled during advance when they fall in the window', async () => {
  const clock = new ManualClock();
  const seen: Array<[string, number]> = [];
  clock.setTimeout(() => {
    seen.push(['a', clock.now()]);
    clock.setTimeout(() => seen.push(['c', clock.now()]), 5);
  }, 10);
  clock.setTimeout(() => seen.push(['b', clock.now()]), 10);
  const cancelled = clock.setTimeout(() => seen.push(['x', clock.now()]), 1);
  clock.clearTimeout(cancelled);
  clock.advance(14);
  expect(seen).toEqual([
    ['a', 10],
    ['b', 10],
  ]);
  expect(clock.pending).toBe(1);
  clock.advance(1);
  expect(seen.at(-1)).toEqual(['c', 15]);
  expect(clock.now()).toBe(15);
  await flushPromises();
});
