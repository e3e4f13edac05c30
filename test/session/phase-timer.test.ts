/**
 * The session's one timer (src/session/phase-timer.ts, RFC 5321 §4.5.3.2): the machine arms it on
 * entering each waiting state and disarms it in `ready`; the facade runs it on the clock and reports
 * its expiry. It must run out exactly `ms` after the last arm, once, and never after a disarm — on an
 * injected clock (clear and set) and on Node's timers (a restart with the same ms refreshes in place).
 */
import { fc } from '@fast-check/vitest';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { SimulatedClock } from 'xstate';
import { ErrorCodes } from '../../src/errors/codes.js';
import { PhaseTimer } from '../../src/session/phase-timer.js';
import { EHLO_PLAIN, flush, Harness } from './harness.js';

type Op =
  | { kind: 'arm'; ms: number }
  | { kind: 'disarm' }
  | { kind: 'advance'; ms: number }
  | { kind: 'busy'; on: boolean };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('arm' as const), ms: fc.constantFrom(10, 10, 10, 25, 40) }),
  fc.constant({ kind: 'disarm' as const }),
  fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: 30 }) }),
  fc.record({ kind: fc.constant('busy' as const), on: fc.boolean() }),
);

/**
 * Plays `ops` on a PhaseTimer and on the model, one millisecond at a time: a deadline (last arm +
 * ms; none after a disarm or once it ran out); `expired` from running out until the next arm or
 * disarm; running out while busy is reported when busy ends (flushDue), and only if still expired.
 * `expired` is compared after every op. Returns the times it was reported, and when it should be.
 */
function play(
  ops: readonly Op[],
  timer: (expired: () => void, busy: () => boolean) => PhaseTimer,
  advance: (ms: number) => void,
): { fired: number[]; expected: number[] } {
  let now = 0;
  let busy = false;
  const fired: number[] = [];
  const expected: number[] = [];
  const t = timer(
    () => fired.push(now),
    () => busy,
  );
  let deadline: number | undefined;
  let expired = false;
  let due = false;
  for (const o of ops) {
    if (o.kind === 'arm') {
      t.arm(o.ms);
      deadline = now + o.ms;
      expired = false;
    } else if (o.kind === 'disarm') {
      t.disarm();
      deadline = undefined;
      expired = false;
    } else if (o.kind === 'busy') {
      busy = o.on;
      if (!busy) {
        t.flushDue();
        if (due && expired) expected.push(now);
        due = false;
      }
    } else {
      for (let i = 0; i < o.ms; i++) {
        now++;
        advance(1);
        if (deadline === now) {
          if (busy) due = true;
          else expected.push(now);
          deadline = undefined;
          expired = true;
        }
      }
    }
    expect(t.expired).toBe(expired);
  }
  return { fired, expected };
}

afterEach(() => {
  vi.useRealTimers();
});

/** A PhaseTimer on some clock, and how to advance that clock by `ms`. */
interface TimerRig {
  readonly timer: (expired: () => void, busy: () => boolean) => PhaseTimer;
  readonly advance: (ms: number) => void;
}

const simulated = (options: { clears: boolean }): TimerRig => {
  const clock = new SimulatedClock();
  if (!options.clears) clock.clearTimeout = () => {};
  return {
    timer: (expired, busy) => new PhaseTimer(clock, expired, busy),
    advance: (ms) => clock.increment(ms),
  };
};

/** Node's timers (vitest's fake ones, whose handles refresh() like Node's): the default clock. */
const nodeTimers = (): TimerRig => {
  vi.useFakeTimers();
  return {
    timer: (expired, busy) => new PhaseTimer(undefined, expired, busy),
    advance: (ms) => vi.advanceTimersByTime(ms),
  };
};

/** For any sequence of arms, disarms and clock advances, the timer fires when the model says. */
function agreesWithModel(rig: () => TimerRig): void {
  fc.assert(
    fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
      try {
        const { timer, advance } = rig();
        const { fired, expected } = play(ops, timer, advance);
        expect(fired).toEqual(expected);
      } finally {
        vi.useRealTimers();
      }
    }),
    { numRuns: 300 },
  );
}

describe('PhaseTimer', () => {
  test('on an injected clock: runs out exactly ms after the last arm, once; never after a disarm', () => {
    agreesWithModel(() => simulated({ clears: true }));
  });

  test('on a clock that never clears a timer (a callback of a replaced or disarmed arm runs anyway): the same', () => {
    agreesWithModel(() => simulated({ clears: false }));
  });

  test("on Node's timers (restarted in place): the same", () => {
    agreesWithModel(nodeTimers);
  });

  test("a restart with the same ms refreshes Node's timer instead of making a new one", () => {
    vi.useFakeTimers();
    const setTimeout = vi.spyOn(globalThis, 'setTimeout');
    let fired = 0;
    const timer = new PhaseTimer(undefined, () => fired++);
    for (let i = 0; i < 100; i++) {
      timer.arm(600_000);
      vi.advanceTimersByTime(1_000);
    }
    expect(setTimeout).toHaveBeenCalledTimes(1);
    timer.arm(120_000); // another duration: a new timer
    expect(setTimeout).toHaveBeenCalledTimes(2);
    vi.advanceTimersByTime(119_999);
    expect(fired).toBe(0);
    vi.advanceTimersByTime(1);
    expect(fired).toBe(1);
    expect(timer.expired).toBe(true);
    timer.arm(120_000); // after it ran out: a new timer, and no longer expired
    expect(timer.expired).toBe(false);
    expect(setTimeout).toHaveBeenCalledTimes(3);
  });
});

describe('the facade and the timer', () => {
  test('an expiry held while the owner acts is dropped when the read it waited behind re-armed the timer', async () => {
    let advanceInside = false;
    const h: Harness = new Harness({
      onSendable: () => {
        // The clock reaches message 1's DATA-termination timeout while the owner is asked for a send
        // ahead of the read that brings its 250: the expiry is held behind that read, which re-arms.
        if (advanceInside) h.clock.increment(600_000);
      },
    }).ready(EHLO_PLAIN);
    const first = h.send({ size: 10 });
    const second = h.send({ size: 10 }); // held as next
    h.server('250 ok\n250 ok\n354 go'); // message 1's envelope: body inline, message 2 behind its dot
    expect(h.session.state).toBe('dataEnd');
    advanceInside = true;
    h.server('250 queued 1\n250 ok\n250 ok\n354 go'); // dot 1, then message 2's MAIL, RCPT, 354
    advanceInside = false;
    await flush();
    expect(first.result).toMatchObject({ ok: true });
    expect(h.session.ended).toBe(false);
    expect(second.result).toBeUndefined();
    // Message 2's own timeout, from the step that re-armed it.
    h.clock.increment(599_999);
    expect(h.session.ended).toBe(false);
    h.clock.increment(1);
    await flush();
    expect(second.result).toMatchObject({
      ok: false,
      error: { code: ErrorCodes.TIMEOUT, outcome: 'unknown' },
    });
  });
});

/** An xstate SimulatedClock that counts the timers it holds (set and not yet cleared or fired). */
function countingClock(options: { clearThrows?: boolean } = {}) {
  const clock = new SimulatedClock();
  const live = new Set<unknown>();
  const set = clock.setTimeout.bind(clock);
  const clear = clock.clearTimeout.bind(clock);
  clock.setTimeout = (fn, ms) => {
    const id: unknown = set(() => {
      live.delete(id);
      fn();
    }, ms);
    live.add(id);
    return id as never;
  };
  clock.clearTimeout = (id) => {
    if (options.clearThrows) throw new Error('clearTimeout broke');
    live.delete(id);
    clear(id);
  };
  return { clock, live };
}

describe('the facade and the timer, with a clock that misbehaves or runs inside a step', () => {
  test('ready holds no timer: the one the last waiting state armed is cleared', () => {
    const { clock, live } = countingClock();
    const h = new Harness({ clock }).ready(EHLO_PLAIN);
    expect(h.session.state).toBe('ready');
    expect(live.size).toBe(0);
    h.send();
    expect(live.size).toBe(1); // mail's
  });

  test('a clock whose clearTimeout throws does not keep a session that ends from settling', async () => {
    const { clock } = countingClock({ clearThrows: true });
    const h = new Harness({ clock });
    h.connect('421 busy'); // greeting's timer is live when the session ends
    expect(h.session.ended).toBe(true);
    await expect(h.session.whenReady).rejects.toMatchObject({ code: ErrorCodes.SERVICE_UNAVAILABLE });
    await expect(h.session.quit()).resolves.toBeUndefined();
  });

  test('an expiry from inside a step (the owner advances the clock) is dropped when that step leaves the state', async () => {
    // Lock-step: the dot's reply settles from inside the step that goes to ready; the owner, told
    // that the session takes a send, sends and then advances the clock past dataEnd's timeout.
    let inside: (() => void) | undefined;
    const h: Harness = new Harness({ onSendable: () => inside?.() }).ready(
      '250-mx.example\n250-8BITMIME\n250 SIZE 1000',
    );
    const first = h.send();
    h.server('250 ok').server('250 ok').server('354 go');
    h.session.bodyFinished();
    expect(h.session.state).toBe('dataEnd');
    let second: ReturnType<Harness['send']> | undefined;
    inside = () => {
      inside = undefined;
      second = h.send();
      h.clock.increment(600_000);
    };
    h.server('250 queued');
    await flush();
    expect(first.result).toMatchObject({ ok: true });
    expect(h.session.state).toBe('mail');
    expect(second?.result).toBeUndefined();
    // The second message's own MAIL timeout still runs, from the step that armed it.
    h.clock.increment(300_000);
    await flush();
    expect(second?.result).toMatchObject({ ok: false, error: { code: ErrorCodes.TIMEOUT, phase: 'mail' } });
  });
});

describe('an expiry raised from inside a read or a step (a synchronous clock advanced by the owner)', () => {
  test('the read comes first: a reply being logged when the clock passes the timeout still settles its send', async () => {
    let advance = false;
    const h: Harness = new Harness({
      onTranscript: (entry) => {
        if (advance && entry.direction === 'server') {
          advance = false;
          h.clock.increment(600_000); // dataEnd's timeout, while its reply is being taken
        }
      },
    }).ready(EHLO_PLAIN);
    const first = h.send({ size: 10 });
    h.server('250 ok\n250 ok\n354 go'); // body inline: now in dataEnd
    expect(h.session.state).toBe('dataEnd');
    advance = true;
    h.server('250 queued 1');
    await flush();
    expect(first.result).toMatchObject({ ok: true });
    expect(h.session.state).toBe('ready');
  });

  test('an expiry deferred behind a step that stays in the state is still delivered', async () => {
    let advance = false;
    const h: Harness = new Harness({
      onTranscript: (entry) => {
        if (advance && entry.direction === 'client' && entry.text.startsWith('MAIL')) {
          advance = false;
          h.clock.increment(600_000); // dataEnd's timeout, while the step that holds the next send runs
        }
      },
    }).ready(EHLO_PLAIN);
    const first = h.send({ size: 10 });
    h.server('250 ok\n250 ok\n354 go');
    expect(h.session.state).toBe('dataEnd');
    advance = true;
    const second = h.send({ size: 10 }); // held as next, its envelope written behind the dot: no re-arm
    await flush();
    expect(first.result).toMatchObject({
      ok: false,
      error: { code: ErrorCodes.TIMEOUT, phase: 'data-end', outcome: 'unknown' },
    });
    expect(second.result).toMatchObject({ ok: false, error: { outcome: 'not-sent' } });
  });
});
