/**
 * A read's replies taken in one step (src/session/reply-group.ts) must change nothing but the number
 * of machine steps. Two machines hear the same dialogue (RFC 2920 pipelining or lock-step, RFC 3030
 * CHUNKING or not): A is offered each read's replies as one `replies.received` and, when it takes no
 * step, gets them one by one (as the facade does); B always gets them one by one. Replies are the
 * ones the commands ask for, now and then replaced by another code or followed by one nobody asked
 * for, split into reads at random; sends, aborts and clock jumps around the timeouts come between
 * reads. After every step both must have emitted the same effects and hold the same state and context,
 * and their timers must run out at the same moment (a group arms once where one-by-one steps re-arm).
 */
import { fc } from '@fast-check/vitest';
import { describe, expect, test } from 'vitest';
import { type Actor, createActor, SimulatedClock } from 'xstate';
import type { Reply } from '../../src/protocol/reply-types.js';
import { resolveConfig } from '../../src/session/config.js';
import {
  acceptsSend,
  type HandedSend,
  type MachineEffect,
  type SessionEvent,
} from '../../src/session/machine-types.js';
import { PhaseTimer } from '../../src/session/phase-timer.js';
import {
  GROUP_ENDS,
  type GroupState,
  groupPlanFor,
  planAcceptsSend,
  planGroup,
} from '../../src/session/reply-group.js';
import { Session } from '../../src/session/session.js';
import { sessionMachine } from '../../src/session/session-machine.js';
import { DEFAULT_TIMEOUTS } from '../../src/session/timeouts.js';
import type { SendRequest, SessionEffect } from '../../src/session/types.js';
import { armedTimer } from './armed-timer.js';

const reply = (code: number, ...lines: string[]): Reply => ({ code, lines: lines.length ? lines : ['ok'] });
const EHLOS = {
  pipelining: reply(250, 'mx.example', 'PIPELINING', '8BITMIME', 'SIZE 1000000'),
  chunking: reply(250, 'mx.example', 'PIPELINING', 'CHUNKING', '8BITMIME', 'SIZE 1000000'),
  lockStep: reply(250, 'mx.example', '8BITMIME', 'SIZE 1000000'),
};
type Ehlo = keyof typeof EHLOS;

interface Machine {
  readonly actor: Actor<typeof sessionMachine>;
  readonly clock: SimulatedClock;
  /** Every effect but the timer's, in order. */
  readonly effects: MachineEffect[];
  /** The timer as the effects left it: a group step arms once where the one-by-one steps re-arm. */
  readonly timer: { armed: string };
}

/** The machine as the facade runs it: its timer effects drive a PhaseTimer on a simulated clock. */
function machine(): Machine {
  const clock = new SimulatedClock();
  const actor = createActor(sessionMachine, {
    input: resolveConfig({
      clientName: 'client.example',
      security: 'none',
      maxMessageSize: 1_000_000,
      chunking: true,
    }),
  });
  const phaseTimer = new PhaseTimer(clock, () => {
    if (actor.getSnapshot().status === 'active') actor.send({ type: 'timer.expired' });
  });
  const effects: MachineEffect[] = [];
  const timer = { armed: 'no' };
  actor.on('*', (effect) => {
    if (effect.type === 'armTimer') {
      phaseTimer.arm(effect.ms);
      timer.armed = `${effect.timer} ${effect.ms} at ${clock.now()}`;
    } else if (effect.type === 'disarmTimer') {
      phaseTimer.disarm();
      timer.armed = 'no';
    } else effects.push(effect);
  });
  actor.start();
  return { actor, clock, effects, timer };
}

const send = (machine: Machine, event: SessionEvent): void => {
  if (machine.actor.getSnapshot().status === 'active') machine.actor.send(event);
};

function oneByOne(machine: Machine, replies: readonly Reply[], trailing: boolean): void {
  for (const [index, r] of replies.entries())
    send(machine, { type: 'reply.received', reply: r, trailing: index < replies.length - 1 || trailing });
}

/** A send after a read, as an owner hands it over: only when the session then accepts one. */
function sendAfter(machine: Machine, handed: HandedSend | undefined): void {
  const snapshot = machine.actor.getSnapshot();
  if (handed !== undefined && acceptsSend(String(snapshot.value), snapshot.context))
    send(machine, { type: 'send.requested', ...handed });
}

/**
 * What the facade does with a read (session.ts #offerGroup, reply-intake.ts): `handed`, a send the
 * owner handed over for the moment the read makes room for it, rides in the step or follows it.
 */
function asOneRead(
  machine: Machine,
  replies: readonly Reply[],
  trailing: boolean,
  handed?: HandedSend,
): 'taken' | 'declined' {
  const { actor } = machine;
  const state = String(actor.getSnapshot().value);
  if (replies.length > 1 && Object.hasOwn(GROUP_ENDS, state)) {
    const before = actor.getSnapshot();
    send(machine, { type: 'replies.received', replies, trailing, ...(handed ? { send: handed } : {}) });
    if (actor.getSnapshot() !== before) return 'taken';
  }
  oneByOne(machine, replies, trailing);
  sendAfter(machine, handed);
  return 'declined';
}

/** The send an owner would hand over with this read: when its plan leaves the session able to take one. */
function handOver(machine: Machine, replies: readonly Reply[], trailing: boolean, handed: HandedSend) {
  const { value, context } = machine.actor.getSnapshot();
  const state = String(value);
  if (!Object.hasOwn(GROUP_ENDS, state) || acceptsSend(state, context)) return undefined;
  const plan = planGroup(state as GroupState, context, replies, trailing);
  return plan !== undefined && planAcceptsSend(plan) ? handed : undefined;
}

/** The replies a server that accepts everything owes for the effects since `from`. */
function owed(effects: readonly MachineEffect[], from: number, out: Reply[], bodies: MachineEffect[]): void {
  for (const effect of effects.slice(from)) {
    if (effect.type === 'write') {
      for (const command of effect.commands) {
        if (command.verb === 'EHLO') continue; // answered by the run's own EHLO reply
        if (command.verb === 'DATA') out.push(reply(354, 'go ahead'));
        else if (command.verb === 'QUIT') out.push(reply(221, 'bye'));
        else out.push(reply(250, `${command.verb} ok`));
      }
    } else if (effect.type === 'writeBody') {
      if (effect.inline) out.push(reply(250, '2.0.0 Ok: queued as Q1'));
      else bodies.push(effect);
    }
  }
}

const OTHER_CODES = [250, 251, 252, 354, 221, 334, 421, 450, 451, 452, 550, 552, 554, 503];
/** Around the default timeouts (RFC 5321 §4.5.3.2): 2, 3, 5 and 10 minutes, each just before and after. */
const TICKS = [1_000, 119_000, 121_000, 179_000, 181_000, 299_000, 301_000, 599_000, 601_000];

const step = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('send' as const),
      to: fc.integer({ min: 1, max: 3 }),
      size: fc.constantFrom(100, 100, 2000, 70_000, 2_000_000, undefined),
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('read' as const),
      count: fc.integer({ min: 1, max: 8 }),
      // One read in five has a reply other than the one asked for.
      swap: fc.oneof(
        { weight: 4, arbitrary: fc.constant(undefined) },
        { weight: 1, arbitrary: fc.record({ at: fc.nat(7), code: fc.constantFrom(...OTHER_CODES) }) },
      ),
      // Now and then one reply more than was asked for (threats.md §6).
      extra: fc.oneof(
        { weight: 9, arbitrary: fc.constant(false) },
        { weight: 1, arbitrary: fc.constant(true) },
      ),
      trailing: fc.oneof(
        { weight: 9, arbitrary: fc.constant(false) },
        { weight: 1, arbitrary: fc.constant(true) },
      ),
      // A send the owner hands over with the read (session.ts #handOverAhead), when it makes room.
      send: fc.option(
        fc.record({
          to: fc.integer({ min: 1, max: 3 }),
          // 2 MB: over the server's SIZE, refused by the pre-check.
          size: fc.constantFrom(100, 2000, 70_000, 2_000_000, undefined),
        }),
        { nil: undefined, freq: 5 },
      ),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'bodyFinished' as const }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('abort' as const), which: fc.constantFrom('tx', 'next') }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('tick' as const), ms: fc.constantFrom(...TICKS) }) },
  // To just before the current state's timeout: a step that should restart it (or not) then shows.
  { weight: 1, arbitrary: fc.constant({ kind: 'nearTimeout' as const }) },
);

/** The current state's default timeout (DEFAULT_TIMEOUTS, RFC 5321 §4.5.3.2), if it waits. */
const timeoutOf = (state: string): number | undefined => {
  const timer = armedTimer(state);
  return timer === undefined ? undefined : DEFAULT_TIMEOUTS[timer];
};

const dialogue = fc.record({
  ehlo: fc.constantFrom<Ehlo>('pipelining', 'pipelining', 'chunking', 'lockStep'),
  steps: fc.array(step, { minLength: 5, maxLength: 40 }),
});

type Dialogue = typeof dialogue extends fc.Arbitrary<infer T> ? T : never;

/** Plays one dialogue on both machines (an assertion fails where they differ); counts the paths. */
function play({ ehlo, steps }: Dialogue) {
  const a = machine();
  const b = machine();
  const pending: Reply[] = [];
  const bodies: MachineEffect[] = [];
  const paths = { taken: 0, declined: 0, handed: 0 };
  let seen = 0;
  let id = 0;
  const requestOf = (to: number, size: number | undefined): SendRequest => ({
    from: 'sender@example.com',
    to: Array.from({ length: to }, (_, index) => `rcpt${index}@example.org`),
    body: `body ${id}`,
    ...(size === undefined ? {} : { size, unstuffedSize: size }),
  });
  const both = (event: SessionEvent): void => {
    send(a, event);
    send(b, event);
  };
  const compare = (): void => {
    expect(a.effects).toStrictEqual(b.effects);
    expect(a.timer).toStrictEqual(b.timer);
    const [sa, sb] = [a.actor.getSnapshot(), b.actor.getSnapshot()];
    expect(sa.value).toStrictEqual(sb.value);
    expect(sa.context).toStrictEqual(sb.context);
  };
  const sync = (): void => {
    owed(a.effects, seen, pending, bodies);
    seen = a.effects.length;
  };
  both({ type: 'connection.opened' });
  both({ type: 'reply.received', reply: reply(220, 'mx.example ESMTP'), trailing: false });
  both({ type: 'reply.received', reply: EHLOS[ehlo], trailing: false });
  sync();
  for (const s of steps) {
    if (a.actor.getSnapshot().status !== 'active') break;
    const { context } = a.actor.getSnapshot();
    if (s.kind === 'send') {
      const snapshot = a.actor.getSnapshot();
      if (!acceptsSend(String(snapshot.value), snapshot.context)) continue;
      both({ type: 'send.requested', id: ++id, request: requestOf(s.to, s.size) });
    } else if (s.kind === 'bodyFinished') {
      if (bodies.length === 0) continue;
      bodies.shift();
      both({ type: 'body.finished' });
      pending.push(reply(250, '2.0.0 Ok: queued as Q2'));
    } else if (s.kind === 'abort') {
      const target = s.which === 'tx' ? context.tx : context.next;
      if (target === undefined) continue;
      both({ type: 'send.aborted', id: target.id });
    } else if (s.kind === 'tick' || s.kind === 'nearTimeout') {
      const ms = s.kind === 'tick' ? s.ms : (timeoutOf(String(a.actor.getSnapshot().value)) ?? 1_001) - 1_000;
      a.clock.increment(ms);
      b.clock.increment(ms);
    } else {
      if (pending.length === 0) continue;
      const replies = pending.splice(0, Math.min(s.count, pending.length));
      if (s.swap && s.swap.at < replies.length) replies[s.swap.at] = reply(s.swap.code, 'swapped');
      if (s.extra) replies.push(reply(250, 'nobody asked'));
      const handed =
        s.send &&
        handOver(a, replies, s.trailing, { id: id + 1, request: requestOf(s.send.to, s.send.size) });
      if (handed) id++;
      const path = asOneRead(a, replies, s.trailing, handed);
      paths[path] += replies.length > 1 ? 1 : 0;
      if (handed && path === 'taken') paths.handed++;
      oneByOne(b, replies, s.trailing);
      sendAfter(b, handed);
    }
    sync();
    compare();
  }
  return paths;
}

describe('reply groups (one step for a read of positive replies)', () => {
  test('one step for a whole read ends where the one-by-one steps end, with the same effects (and both paths are taken)', () => {
    const paths = { taken: 0, declined: 0, handed: 0 };
    fc.assert(
      fc.property(dialogue, (run) => {
        const seen = play(run);
        paths.taken += seen.taken;
        paths.declined += seen.declined;
        paths.handed += seen.handed;
      }),
      { numRuns: 800 },
    );
    // A property that never took the group path (or never declined it, or never carried a send)
    // would prove nothing. (Six runs of 800 dialogues took it 201–227 times, declined it 388–427
    // times, and carried a handed-over send in 23–30 steps.)
    expect(paths.taken).toBeGreaterThan(50);
    expect(paths.declined).toBeGreaterThan(50);
    expect(paths.handed).toBeGreaterThan(10);
  });

  test('the steady pipelined read (dot, MAIL, RCPT, 354) is one step', () => {
    const a = machine();
    const request = (n: number): SendRequest => ({
      from: 'a@example.com',
      to: ['b@example.org'],
      size: 10,
      body: n,
    });
    send(a, { type: 'connection.opened' });
    oneByOne(a, [reply(220)], false);
    oneByOne(a, [EHLOS.pipelining], false);
    send(a, { type: 'send.requested', id: 1, request: request(1) });
    expect(asOneRead(a, [reply(250), reply(250), reply(354)], false)).toBe('taken');
    send(a, { type: 'send.requested', id: 2, request: request(2) }); // written behind the dot
    expect(asOneRead(a, [reply(250, 'queued'), reply(250), reply(250), reply(354)], false)).toBe('taken');
    const settled = a.effects.filter((effect) => effect.type === 'settle');
    expect(settled).toHaveLength(1);
    expect(a.actor.getSnapshot().value).toBe('dataEnd');
    expect(a.actor.getSnapshot().context.messagesSent).toBe(1);
  });

  test('a group that stays in its state restarts its timeout, as the one-by-one steps do', () => {
    const a = machine();
    send(a, { type: 'connection.opened' });
    oneByOne(a, [reply(220)], false);
    oneByOne(a, [EHLOS.pipelining], false);
    const to = ['b@example.org', 'c@example.org', 'd@example.org'];
    send(a, { type: 'send.requested', id: 1, request: { from: 'a@example.com', to, size: 10, body: 1 } });
    oneByOne(a, [reply(250)], false); // MAIL: now in rcpt, 3 replies to come
    a.clock.increment(299_000);
    expect(asOneRead(a, [reply(250), reply(250)], false)).toBe('taken'); // rcpt -> rcpt
    a.clock.increment(2_000);
    expect(a.actor.getSnapshot().value).toBe('rcpt');
    send(a, { type: 'send.requested', id: 2, request: { from: 'a@example.com', to, size: 10, body: 2 } });
    expect(asOneRead(a, [reply(250), reply(354)], false)).toBe('taken'); // rcpt -> dataEnd
    send(a, { type: 'send.requested', id: 3, request: { from: 'a@example.com', to, size: 10, body: 3 } });
    a.clock.increment(599_000);
    // dataEnd -> dataEnd: the dot, then message 2's MAIL, 3 RCPTs and 354.
    const group = [reply(250), reply(250), reply(250), reply(250), reply(250), reply(354)];
    expect(asOneRead(a, group, false)).toBe('taken');
    a.clock.increment(2_000);
    expect(a.actor.getSnapshot().value).toBe('dataEnd');
    expect(a.actor.getSnapshot().status).toBe('active');
  });

  test('anything but the positive path plans nothing', () => {
    const a = machine();
    const request: SendRequest = { from: 'a@example.com', to: ['b@example.org'], size: 10, body: 1 };
    send(a, { type: 'connection.opened' });
    oneByOne(a, [reply(220)], false);
    oneByOne(a, [EHLOS.pipelining], false);
    send(a, { type: 'send.requested', id: 1, request });
    const { context } = a.actor.getSnapshot();
    expect(planGroup('mail', context, [reply(250), reply(250), reply(354)], false)?.end).toBe('dataEnd');
    // A refused recipient, a 421, a reply behind the 354, bytes behind the 354: one by one instead.
    expect(planGroup('mail', context, [reply(250), reply(550), reply(354)], false)).toBeUndefined();
    expect(planGroup('mail', context, [reply(250), reply(421), reply(354)], false)).toBeUndefined();
    expect(
      planGroup('mail', context, [reply(250), reply(250), reply(354), reply(250)], false),
    ).toBeUndefined();
    expect(planGroup('mail', context, [reply(250), reply(250), reply(354)], true)).toBeUndefined();
    // One reply alone is planned (waitsForRest asks), but never offered as a group step.
    expect(planGroup('mail', context, [reply(250)], false)?.end).toBe('rcpt');
    expect(groupPlanFor({ replies: [reply(250)], trailing: false }, 'mail', context)).toBeUndefined();
  });
});

describe('reply groups through the Session facade', () => {
  const utf8 = new TextEncoder();
  const wire = (...lines: string[]) => utf8.encode(lines.map((line) => `${line}\r\n`).join(''));

  /**
   * A transport that answers synchronously, from inside the effect that wrote the commands: the
   * facade's receive() then runs while the machine is still processing (re-entered).
   */
  function synchronousServer(): { session: Session; written: string[] } {
    let queued = 0;
    const written: string[] = [];
    const session: Session = new Session(
      { clientName: 'client.example', security: 'none', clock: new SimulatedClock() },
      (effect: SessionEffect) => {
        if (effect.type === 'write') {
          const text = new TextDecoder().decode(effect.bytes);
          written.push(text);
          const lines: string[] = [];
          for (const command of text.split('\r\n').filter(Boolean)) {
            if (command.startsWith('EHLO')) lines.push('250-mx.example', '250-PIPELINING', '250 SIZE 100000');
            else if (command === 'DATA') lines.push('354 go ahead');
            else lines.push('250 ok');
          }
          session.receive(wire(...lines));
        } else if (effect.type === 'writeBody' && effect.inline) {
          session.receive(wire(`250 2.0.0 Ok: queued as Q${++queued}`));
        }
      },
    );
    session.connected();
    session.receive(wire('220 mx.example ESMTP'));
    return { session, written };
  }

  test('replies received from inside an effect (receive() re-entered) settle each send with its own reply', async () => {
    const { session } = synchronousServer();
    await session.whenReady;
    const request = (n: number): SendRequest => ({
      from: 'a@example.com',
      to: [`b${n}@example.org`],
      size: 10,
      body: n,
    });
    const results = await Promise.all([1, 2, 3].map((n) => session.send(request(n))));
    expect(results.map((result) => result.messageId)).toEqual(['Q1', 'Q2', 'Q3']);
    expect(session.messagesSent).toBe(3);
  });
});
