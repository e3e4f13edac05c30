/**
 * The end of a Session (session.ts): once the machine has stopped, the facade sends it nothing more
 * (machine-runner.ts would warn, as xstate's Actor did), and an action that throws ends the session
 * instead of leaving it hanging over a stopped actor.
 */
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { SimulatedClock } from 'xstate';
import { ErrorCodes } from '../../src/errors/codes.js';
import { SmtpUsageError } from '../../src/errors/smtp-error.js';
import { validatedRequest } from '../../src/session/validation.js';
import { EHLO_PLAIN, flush, Harness, wire } from './harness.js';

const BODY_ERROR = new SmtpUsageError({ code: ErrorCodes.BODY_NUL, field: 'body', message: 'body: NUL' });
let warn: ReturnType<typeof vi.spyOn>;
beforeEach(() => {
  warn = vi.spyOn(console, 'warn');
});
afterEach(() => {
  warn.mockRestore();
});
const stoppedActorWarnings = () =>
  warn.mock.calls.filter((args: unknown[]) => /stopped actor|after it stopped/.test(String(args[0]))).length;

/** Everything a transport and a caller could still do to a session that has ended. */
async function poke(h: Harness): Promise<void> {
  h.server('250 late').server('354 later');
  h.session.receive(wire('250-partial'));
  h.session.closed(new Error('reset'));
  h.session.connected();
  h.session.tlsEstablished();
  h.session.tlsFailed(new Error('handshake'));
  h.session.bodyProgress();
  h.session.bodyChunk(3, true);
  h.session.bodyFinished();
  h.session.bodyFailed(BODY_ERROR);
  await h.session.send({ from: 'a@example.com', to: ['b@example.org'], body: 'x' }).catch(() => {});
  await h.session.quit();
  await flush();
}

const ENDINGS: Record<string, () => Harness> = {
  '421 greeting': () => new Harness().connect('421 busy'),
  'quit answered': () => {
    const h = new Harness().ready(EHLO_PLAIN);
    void h.session.quit();
    return h.server('221 bye');
  },
  'greeting timeout': () => {
    const h = new Harness();
    h.session.connected();
    h.clock.increment(10 ** 7);
    return h;
  },
  'connection closed during a send': () => {
    const h = new Harness().ready(EHLO_PLAIN);
    h.send();
    h.session.closed();
    return h;
  },
};

describe('a session that ended', () => {
  for (const [name, end] of Object.entries(ENDINGS)) {
    test(`${name}: later bytes, closes and calls reach no stopped actor`, async () => {
      const h = end();
      expect(h.session.ended).toBe(true);
      await poke(h);
      expect(stoppedActorWarnings()).toBe(0);
      expect(h.effectsAfterClose).toEqual([]);
    });
  }

  test('a transport that reports the close from inside the close effect is not an error', async () => {
    const h = new Harness();
    const session = h.session;
    const original = h.effects.push.bind(h.effects);
    h.effects.push = (...effects) => {
      if (effects.some((e) => e.type === 'close')) {
        session.closed(new Error('reset'));
        session.receive(wire('250 late'));
      }
      return original(...effects);
    };
    h.connect('421 busy');
    await poke(h);
    expect(stoppedActorWarnings()).toBe(0);
  });
});

/** A clock whose setTimeout throws from the `breakAt`-th call on (an injected dependency gone bad). */
function breakingClock(breakAt: number): SimulatedClock {
  const clock = new SimulatedClock();
  const setTimeout = clock.setTimeout.bind(clock);
  let calls = 0;
  clock.setTimeout = (fn, ms) => {
    if (++calls >= breakAt) throw new Error('clock broke');
    return setTimeout(fn, ms);
  };
  return clock;
}

describe('a clock that throws while the facade arms the phase timer', () => {
  test('ends the session (close, whenReady rejects with INTERNAL_ERROR) instead of leaving it without timeouts', async () => {
    const h = new Harness({ clock: breakingClock(2) });
    h.connect(); // entering ehlo schedules the second timer
    expect(h.session.ended).toBe(true);
    expect(h.closed).toBe(true);
    await expect(h.session.whenReady).rejects.toMatchObject({ code: ErrorCodes.INTERNAL_ERROR });
    await poke(h);
    expect(stoppedActorWarnings()).toBe(0);
    expect(h.effectsAfterClose).toEqual([]);
  });

  test('settles the send in flight: not-sent before its body, unknown once the body may be out', async () => {
    const early = new Harness({ clock: breakingClock(4) });
    early.ready(EHLO_PLAIN);
    const before = early.send({ to: ['b@example.org'] }); // timers: greeting, ehlo, mail (ready has none)
    early.server('250 ok'); // rcpt's timer breaks: only the envelope is out
    await flush();
    expect(before.result).toMatchObject({
      ok: false,
      error: { code: ErrorCodes.INTERNAL_ERROR, outcome: 'not-sent' },
    });

    const late = new Harness({ clock: breakingClock(7) });
    late.ready(EHLO_PLAIN);
    const after = late.send({ to: ['b@example.org'] }); // mail 3, rcpt 4, data 5, body 6, dataEnd 7
    late.server('250 ok\n250 ok\n354 go');
    late.session.bodyFinished();
    await flush();
    expect(after.result).toMatchObject({
      ok: false,
      error: { code: ErrorCodes.INTERNAL_ERROR, outcome: 'unknown' },
    });
    expect(stoppedActorWarnings()).toBe(0);
  });
});

describe('a crash settles as sent only what may have been delivered', () => {
  /** A clock whose setTimeout throws once `broken()` says so. */
  function clockThatBreaks(broken: (ms: number) => boolean) {
    const clock = new SimulatedClock();
    return {
      setTimeout: (fn: () => void, ms: number) => {
        if (broken(ms)) throw new Error('clock broke');
        return clock.setTimeout(fn, ms);
      },
      clearTimeout: (handle: unknown) => clock.clearTimeout(handle as never),
    };
  }

  test('DATA written, no 354 yet (only the envelope out): not-sent', async () => {
    // dataStart (2 min) is armed on entering `data`, lock-step.
    const h = new Harness({ clock: clockThatBreaks((ms) => ms === 120_000) }).ready(
      '250-mx.example\n250 8BITMIME',
    );
    const sent = h.send({ size: 1 });
    h.server('250 ok').server('250 ok');
    expect(h.lastWrite).toBe('DATA\r\n');
    await flush();
    expect(sent.result).toMatchObject({
      ok: false,
      error: { code: ErrorCodes.INTERNAL_ERROR, outcome: 'not-sent' },
    });
  });

  test('a send made from inside the crashing step (the machine never saw it): not-sent', async () => {
    let breakNow = false;
    let inner: ReturnType<Harness['send']> | undefined;
    const h = new Harness({ clock: clockThatBreaks(() => breakNow) }).ready(
      '250-mx.example\n250-PIPELINING\n250 8BITMIME',
    );
    const push = h.effects.push.bind(h.effects);
    h.effects.push = (...effects) => {
      // The owner sends again from inside the write of the first envelope; the arm that follows throws.
      if (inner === undefined && effects.some((e) => e.type === 'write') && h.session.state === 'mail') {
        inner = h.send({ from: 'c@example.com', size: 1 });
        breakNow = true;
      }
      return push(...effects);
    };
    const first = h.send({ size: 1 });
    await flush();
    expect(first.result).toMatchObject({ ok: false, error: { outcome: 'not-sent' } });
    expect(inner?.result).toMatchObject({
      ok: false,
      error: { code: ErrorCodes.INTERNAL_ERROR, outcome: 'not-sent' },
    });
  });
});

describe('an action that throws (a bug: xstate stops the machine)', () => {
  test('ends the session with INTERNAL_ERROR, the send in flight settled, nothing written after the close', async () => {
    const h = new Harness().ready(EHLO_PLAIN);
    let broken = false;
    // Pre-validated (frozen as it is: send() takes it without a copy), so the getter survives.
    const request = validatedRequest({
      from: 'a@example.com',
      to: ['b@example.org'],
      // Read by the action that writes the body, once the 354 comes.
      get body(): string {
        if (broken) throw new Error('body getter broke');
        return 'BODY';
      },
    });
    const sent = h.session.send(request);
    broken = true;
    h.server('250 ok\n250 ok\n354 go');
    await expect(sent).rejects.toMatchObject({ code: ErrorCodes.INTERNAL_ERROR });
    expect(h.session.ended).toBe(true);
    expect(h.closed).toBe(true);
    await poke(h);
    expect(stoppedActorWarnings()).toBe(0);
    expect(h.effectsAfterClose).toEqual([]);
  });
});
