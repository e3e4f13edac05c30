/**
 * A read's replies taken in one step (src/session/reply-group.ts) must change nothing but the number
 * of machine steps. Two machines hear the same pipelined dialogue (RFC 2920): A is offered each
 * read's replies as one `replies.received` and, when it takes no step, gets them one by one (as the
 * facade does); B always gets them one by one. Replies are the ones the commands ask for, now and
 * then replaced by another code, split into reads at random. After every read both must have emitted
 * the same effects and hold the same state and context.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { type Actor, createActor, SimulatedClock } from 'xstate';
import type { Reply } from '../../src/protocol/reply-types.js';
import { resolveConfig } from '../../src/session/config.js';
import { acceptsSend, type MachineEffect, type SessionEvent } from '../../src/session/machine-types.js';
import { GROUP_ENDS, planGroup } from '../../src/session/reply-group.js';
import { sessionMachine } from '../../src/session/session-machine.js';
import type { SendRequest } from '../../src/session/types.js';

const GROUP_STATES = new Set(Object.keys(GROUP_ENDS));
const reply = (code: number, ...lines: string[]): Reply => ({ code, lines: lines.length ? lines : ['ok'] });
const EHLO_REPLY = reply(250, 'mx.example', 'PIPELINING', '8BITMIME', 'SIZE 1000000');

interface Machine {
  readonly actor: Actor<typeof sessionMachine>;
  readonly effects: MachineEffect[];
}

function machine(): Machine {
  const actor = createActor(sessionMachine, {
    input: resolveConfig({ clientName: 'client.example', security: 'none', maxMessageSize: 1_000_000 }),
    clock: new SimulatedClock(),
  });
  const effects: MachineEffect[] = [];
  actor.on('*', (effect) => effects.push(effect));
  actor.start();
  return { actor, effects };
}

const send = (machine: Machine, event: SessionEvent): void => {
  if (machine.actor.getSnapshot().status === 'active') machine.actor.send(event);
};

function oneByOne(machine: Machine, replies: readonly Reply[], trailing: boolean): void {
  for (const [index, r] of replies.entries())
    send(machine, { type: 'reply.received', reply: r, trailing: index < replies.length - 1 || trailing });
}

/** What the facade does with a read (session.ts, reply-intake.ts). */
function asOneRead(machine: Machine, replies: readonly Reply[], trailing: boolean): 'taken' | 'declined' {
  const { actor } = machine;
  if (replies.length > 1 && GROUP_STATES.has(String(actor.getSnapshot().value))) {
    const before = actor.getSnapshot();
    send(machine, { type: 'replies.received', replies, trailing });
    if (actor.getSnapshot() !== before) return 'taken';
  }
  oneByOne(machine, replies, trailing);
  return 'declined';
}

/** The replies a server that accepts everything owes for the effects since `from`. */
function owed(effects: readonly MachineEffect[], from: number, out: Reply[], bodies: string[]): void {
  for (const effect of effects.slice(from)) {
    if (effect.type === 'write') {
      for (const command of effect.commands) {
        if (command.verb === 'EHLO') out.push(EHLO_REPLY);
        else if (command.verb === 'DATA') out.push(reply(354, 'go ahead'));
        else if (command.verb === 'QUIT') out.push(reply(221, 'bye'));
        else out.push(reply(250, `${command.verb} ok`));
      }
    } else if (effect.type === 'writeBody') {
      if (effect.inline) out.push(reply(250, '2.0.0 Ok: queued as Q1'));
      else bodies.push('pending');
    }
  }
}

/** How often the property saw each path: it must see both, or it proves nothing. */
const seenPaths = { taken: 0, declined: 0 };

const OTHER_CODES = [250, 251, 252, 354, 221, 334, 421, 450, 451, 452, 550, 552, 554, 503];

const step = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('send' as const),
      to: fc.integer({ min: 1, max: 3 }),
      size: fc.constantFrom(100, 100, 2000, 70_000, undefined),
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
      trailing: fc.oneof(
        { weight: 9, arbitrary: fc.constant(false) },
        { weight: 1, arbitrary: fc.constant(true) },
      ),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'bodyFinished' as const }) },
);

describe('reply groups (one step for a read of positive replies)', () => {
  test.prop([fc.array(step, { minLength: 5, maxLength: 40 }), fc.integer({ min: 1, max: 1000 })], {
    numRuns: 300,
  })(
    'one step for a whole read ends where the one-by-one steps end, with the same effects',
    (steps, seed) => {
      const a = machine();
      const b = machine();
      const pending: Reply[] = [];
      const bodies: string[] = [];
      let seen = 0;
      let id = 0;
      const both = (event: SessionEvent): void => {
        send(a, event);
        send(b, event);
      };
      const compare = (): void => {
        expect(a.effects).toEqual(b.effects);
        const [sa, sb] = [a.actor.getSnapshot(), b.actor.getSnapshot()];
        expect(sa.value).toEqual(sb.value);
        expect(sa.context).toEqual(sb.context);
      };
      const sync = (): void => {
        owed(a.effects, seen, pending, bodies);
        seen = a.effects.length;
      };
      both({ type: 'connection.opened' });
      both({ type: 'reply.received', reply: reply(220, 'mx.example ESMTP'), trailing: false });
      sync();
      for (const s of steps) {
        if (a.actor.getSnapshot().status !== 'active') break;
        if (s.kind === 'send') {
          const snapshot = a.actor.getSnapshot();
          if (!acceptsSend(String(snapshot.value), snapshot.context)) continue;
          const request: SendRequest = {
            from: `sender${seed}@example.com`,
            to: Array.from({ length: s.to }, (_, index) => `rcpt${index}@example.org`),
            body: `body ${id}`,
            ...(s.size === undefined ? {} : { size: s.size }),
          };
          both({ type: 'send.requested', id: ++id, request });
        } else if (s.kind === 'bodyFinished') {
          if (bodies.length === 0) continue;
          bodies.pop();
          both({ type: 'body.finished' });
          pending.push(reply(250, '2.0.0 Ok: queued as Q2'));
        } else {
          if (pending.length === 0) continue;
          const replies = pending.splice(0, Math.min(s.count, pending.length));
          if (s.swap && s.swap.at < replies.length) replies[s.swap.at] = reply(s.swap.code, 'swapped');
          if (replies.length > 1) seenPaths[asOneRead(a, replies, s.trailing)]++;
          else asOneRead(a, replies, s.trailing);
          oneByOne(b, replies, s.trailing);
        }
        sync();
        compare();
      }
    },
  );

  test('the property above took both paths many times', () => {
    expect(seenPaths.taken).toBeGreaterThan(100);
    expect(seenPaths.declined).toBeGreaterThan(100);
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
    oneByOne(a, [EHLO_REPLY], false);
    send(a, { type: 'send.requested', id: 1, request: request(1) });
    expect(asOneRead(a, [reply(250), reply(250), reply(354)], false)).toBe('taken');
    send(a, { type: 'send.requested', id: 2, request: request(2) }); // written behind the dot
    expect(asOneRead(a, [reply(250, 'queued'), reply(250), reply(250), reply(354)], false)).toBe('taken');
    const settled = a.effects.filter((effect) => effect.type === 'settle');
    expect(settled).toHaveLength(1);
    expect(a.actor.getSnapshot().value).toBe('dataEnd');
    expect(a.actor.getSnapshot().context.messagesSent).toBe(1);
  });

  test('anything but the positive path plans nothing', () => {
    const a = machine();
    const request: SendRequest = { from: 'a@example.com', to: ['b@example.org'], size: 10, body: 1 };
    send(a, { type: 'connection.opened' });
    oneByOne(a, [reply(220)], false);
    oneByOne(a, [EHLO_REPLY], false);
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
    expect(planGroup('mail', context, [reply(250)], false)).toBeUndefined();
  });
});
