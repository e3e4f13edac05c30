/**
 * Model-based test (xstate/graph): paths generated from the machine itself, replayed against the real
 * Session facade with scripted replies. Shortest paths reach every state; the adjacency map gives a
 * transition cover (every sampled event from every reachable state), each replayed from a shortest path.
 * The sampler is small and explicit (a context-heavy machine explodes otherwise): representative
 * replies per class, the capability sets that matter, and the named timeouts as `timer.expired`
 * (replayed as the clock advanced by the timer the state armed).
 */
import { describe, expect, test, vi } from 'vitest';
import { type AnyMachineSnapshot, createActor } from 'xstate';
import { type AdjacencyMap, getAdjacencyMap, getShortestPaths } from 'xstate/graph';
import { GENERIC_PROFILE } from '../../src/errors/classify.js';
import { ErrorCodes } from '../../src/errors/codes.js';
import { SmtpUsageError } from '../../src/errors/smtp-error.js';
import { MachineRunner } from '../../src/session/machine-runner.js';
import type { MachineEffect, SessionConfig, SessionEvent } from '../../src/session/machine-setup.js';
import { Secret } from '../../src/session/secret.js';
import { sessionMachine } from '../../src/session/session-machine.js';
import { DEFAULT_TIMEOUTS } from '../../src/session/timeouts.js';
import { armedTimer } from './armed-timer.js';
import { Harness, wire } from './harness.js';

const reply = (code: number, ...lines: string[]) => ({ code, lines: lines.length ? lines : ['x'] });
const REPLIES = [
  reply(220),
  reply(221),
  reply(235),
  reply(250, 'mx', 'STARTTLS', 'AUTH PLAIN', 'PIPELINING'),
  reply(250, 'mx', 'AUTH PLAIN'),
  reply(250, 'mx', 'PIPELINING', 'CHUNKING'),
  reply(250, 'mx', 'CHUNKING'),
  reply(250),
  reply(334, ''),
  reply(354),
  reply(421),
  reply(450),
  reply(550),
];
const BODY_ERROR = new SmtpUsageError({ code: ErrorCodes.BODY_NUL, field: 'body', message: 'body: NUL' });
const REQUEST = { from: 'a@example.com', to: ['b@example.org', 'c@example.org'], body: 'x' };
const TOO_LARGE = { ...REQUEST, size: 10 ** 9 };
/** A body of known size: one `BDAT n LAST` when CHUNKING is offered. */
const KNOWN = { ...REQUEST, size: 8, unstuffedSize: 5 };
/** …too large to go inline: the transport writes it block by block and reports its end (`body.finished`). */
const LARGE = { ...REQUEST, size: 100_008, unstuffedSize: 100_005 };
/** Above LARGE, below TOO_LARGE. */
const MAX_MESSAGE_SIZE = 200_000;

const CONFIGS: Record<string, Partial<SessionConfig>> = {
  'starttls+auth': { security: 'starttls', credentials: new Secret({ user: 'u', pass: 'p' }) },
  'opportunistic, no auth': { security: 'starttls-opportunistic', credentials: undefined },
  'chunking, no auth': { security: 'none', credentials: undefined },
};
const OPTIONS: Record<string, ConstructorParameters<typeof Harness>[0]> = {
  'starttls+auth': { security: 'starttls', auth: { user: 'u', pass: 'p' } },
  'opportunistic, no auth': { security: 'starttls-opportunistic' },
  'chunking, no auth': { security: 'none' },
};

function config(overrides: Partial<SessionConfig>): SessionConfig {
  return {
    clientName: 'client.example',
    security: 'none',
    credentials: undefined,
    maxMessageSize: MAX_MESSAGE_SIZE,
    timeouts: DEFAULT_TIMEOUTS,
    pipelining: true,
    chunking: true,
    allowAuthWithoutTls: false,
    profile: GENERIC_PROFILE,
    hmacMd5: undefined,
    ...overrides,
  };
}

function events(snapshot: AnyMachineSnapshot): SessionEvent[] {
  const state = String(snapshot.value);
  const { tx, next } = snapshot.context as {
    tx?: { id: number; pipelined: boolean; chunks: number; bodyWritten: boolean };
    next?: { id: number };
  };
  const out: SessionEvent[] = [
    ...REPLIES.map((r) => ({ type: 'reply.received' as const, reply: r, trailing: false })),
    { type: 'reply.malformed', error: BODY_ERROR },
    { type: 'connection.closed', error: undefined },
    { type: 'quit.requested' },
  ];
  if (state === 'starttls') out.push({ type: 'reply.received', reply: reply(220), trailing: true });
  if (state === 'connecting') out.push({ type: 'connection.opened' });
  if (state === 'tlsHandshake')
    out.push({ type: 'tls.established' }, { type: 'tls.failed', error: undefined });
  const chunkRiding = tx !== undefined && tx.chunks > 0 && !tx.bodyWritten;
  if (state === 'body' || state === 'bdat' || chunkRiding)
    out.push(
      { type: 'body.progress' },
      { type: 'body.finished' },
      { type: 'body.failed', error: BODY_ERROR },
    );
  // Two chunks are enough to tell a middle chunk from the last; more would only grow the graph.
  if (state === 'bdat' && (tx?.chunks ?? 0) < 2)
    out.push({ type: 'body.chunk', size: 3, last: false }, { type: 'body.chunk', size: 0, last: true });
  const id = Math.max(tx?.id ?? 0, next?.id ?? 0) + 1;
  // A send is taken when ready, and while a pipelined transaction is in flight (held as next).
  if (state === 'ready' || (state !== 'quit' && tx?.pipelined && !next))
    out.push(
      { type: 'send.requested', id, request: REQUEST },
      { type: 'send.requested', id, request: TOO_LARGE },
      { type: 'send.requested', id, request: KNOWN },
      { type: 'send.requested', id, request: LARGE },
    );
  if (tx) out.push({ type: 'send.aborted', id: tx.id });
  if (next) out.push({ type: 'send.aborted', id: next.id });
  if (armedTimer(state) !== undefined) out.push({ type: 'timer.expired' });
  return out;
}

/** Every shortest path of the machine, under each configuration. */
function* allShortestPaths() {
  for (const overrides of Object.values(CONFIGS)) {
    const input = config(overrides);
    for (const path of getShortestPaths(sessionMachine, { events, serializeState, serializeEvent, input }))
      yield { input, path };
  }
}

/** An xstate Actor over the session machine, started, its effects collected. */
function actorWithEffects(input: SessionConfig) {
  const actor = createActor(sessionMachine, { input });
  const effects: MachineEffect[] = [];
  actor.on('*', (effect) => effects.push(effect));
  actor.start();
  return { actor, effects };
}

const serializeState = (snapshot: AnyMachineSnapshot) => {
  const { tls, caps, tx, auth } = snapshot.context as {
    tls: boolean;
    caps: { pipelining: boolean; startTls: boolean };
    tx?: {
      replied: number;
      failure?: unknown;
      accepted: unknown[];
      chunks: number;
      chunkReplies: number;
      bodyWritten: boolean;
    };
    auth?: { challenges: number };
  };
  const chunkKey = tx ? `${tx.chunks}/${tx.chunkReplies}/${tx.bodyWritten ? 'w' : '-'}` : '';
  const txKey = tx ? `${tx.replied}/${tx.accepted.length}/${tx.failure ? 'f' : 'ok'}/${chunkKey}` : '-';
  const { next } = snapshot.context as { next?: { written: boolean; failure?: unknown } };
  const nextKey = next ? `${next.written ? 'w' : 'h'}${next.failure ? 'f' : ''}` : '-';
  return `${String(snapshot.value)}|${tls}|${caps.pipelining}${caps.startTls}|${txKey}|${nextKey}|${auth?.challenges ?? '-'}`;
};
const serializeEvent = (event: SessionEvent) =>
  event.type === 'reply.received'
    ? `reply ${event.reply.code} ${event.reply.lines.join(',')} ${event.trailing}`
    : event.type === 'send.requested'
      ? `send ${event.id} ${event.request.size ?? ''}`
      : event.type === 'send.aborted'
        ? `abort ${event.id}`
        : event.type === 'body.chunk'
          ? `chunk ${event.size} ${event.last}`
          : event.type;

/** Replays machine events through the facade, the way a transport and a caller would. */
function replay(options: ConstructorParameters<typeof Harness>[0], steps: readonly SessionEvent[]): Harness {
  const h = new Harness({ maxMessageSize: MAX_MESSAGE_SIZE, ...options });
  const controllers = new Map<number, AbortController>();
  for (const event of steps) {
    switch (event.type) {
      case 'connection.opened':
        h.session.connected();
        break;
      case 'reply.received': {
        const text = event.reply.lines.map(
          (line, i, all) => `${event.reply.code}${i < all.length - 1 ? '-' : ' '}${line}`,
        );
        h.session.receive(wire(text.join('\n') + (event.trailing ? '\n250 injected' : '')));
        break;
      }
      case 'reply.malformed':
        h.session.receive(wire('2x0 malformed'));
        break;
      case 'tls.established':
        h.session.tlsEstablished();
        break;
      case 'tls.failed':
        h.session.tlsFailed(new Error('handshake'));
        break;
      case 'body.progress':
        h.session.bodyProgress();
        break;
      case 'body.finished':
        h.session.bodyFinished();
        break;
      case 'body.failed':
        h.session.bodyFailed(BODY_ERROR);
        break;
      case 'body.chunk':
        h.session.bodyChunk(event.size, event.last);
        break;
      case 'connection.closed':
        h.session.closed();
        break;
      case 'send.requested': {
        const controller = new AbortController();
        controllers.set(event.id, controller);
        h.session.send(event.request, controller.signal).catch(() => {});
        break;
      }
      case 'send.aborted':
        controllers.get(event.id)?.abort();
        break;
      case 'quit.requested':
        void h.session.quit();
        break;
      case 'timer.expired': {
        const timer = armedTimer(h.session.state);
        if (timer === undefined) throw new Error(`${h.session.state} arms no timer`);
        h.clock.increment(DEFAULT_TIMEOUTS[timer]);
        break;
      }
    }
  }
  return h;
}

const ALL_STATES = Object.keys(sessionMachine.root.states);

describe('model-based: paths generated from the machine, replayed against the Session', () => {
  const reached = new Set<string>();
  for (const [name, overrides] of Object.entries(CONFIGS)) {
    const input = config(overrides);
    const options = { events, serializeState, serializeEvent, input } as const;
    const paths = getShortestPaths(sessionMachine, options);
    // getAdjacencyMap's generics do not unify with a setup() machine's snapshot type; the shape is the same.
    const adjacency = getAdjacencyMap(sessionMachine as never, options) as unknown as AdjacencyMap<
      AnyMachineSnapshot,
      SessionEvent
    >;
    const pathTo = new Map(paths.map((path) => [serializeState(path.state), path]));

    test(`${name}: every shortest path replays to the same state`, () => {
      for (const path of paths) {
        const h = replay(
          OPTIONS[name],
          path.steps.slice(1).map((s) => s.event),
        );
        expect(h.session.state, path.steps.map((s) => serializeEvent(s.event)).join(' → ')).toBe(
          String(path.state.value),
        );
        expect(h.effectsAfterClose).toEqual([]);
        reached.add(String(path.state.value));
      }
    });

    test(`${name}: transition cover (adjacency map) replays edge by edge`, () => {
      let edges = 0;
      for (const [source, { transitions }] of Object.entries(adjacency)) {
        const prefix = pathTo
          .get(source)!
          .steps.slice(1)
          .map((s) => s.event);
        for (const { event, state } of Object.values(transitions) as {
          event: SessionEvent;
          state: AnyMachineSnapshot;
        }[]) {
          const h = replay(OPTIONS[name], [...prefix, event]);
          expect(h.session.state, `${source} --${serializeEvent(event)}→`).toBe(String(state.value));
          edges++;
        }
      }
      expect(edges).toBeGreaterThan(200);
    });
  }

  test('together the configurations reach every state of the machine', () => {
    expect([...reached].sort()).toEqual(
      ALL_STATES.filter((s) => s !== 'negotiate' && s !== 'nextTransaction').sort(),
    );
  });

  test('machine level: every send.requested settles exactly once, and nothing is emitted after close', () => {
    const warn = vi.spyOn(console, 'warn');
    for (const { input, path } of allShortestPaths()) {
      const { actor, effects } = actorWithEffects(input);
      let sends = 0;
      // Between a body handed to the transport and its end, only a chunk's own BDAT command may be
      // written: anything else would land inside the body (DATA) or the chunk (BDAT).
      let bodyOpen = false;
      for (const { event } of path.steps.slice(1)) {
        if (event.type === 'send.requested') sends++;
        if (event.type === 'body.finished' || event.type === 'body.failed') bodyOpen = false;
        const from = effects.length;
        actor.send(event);
        for (const effect of effects.slice(from)) {
          if (bodyOpen && event.type !== 'body.chunk')
            expect(
              effect.type === 'write' || effect.type === 'writeBody',
              `${path.steps.map((s) => serializeEvent(s.event)).join(' → ')}: ${effect.type} inside a body`,
            ).toBe(false);
          if (effect.type === 'writeBody' && !effect.inline) bodyOpen = true;
        }
      }
      // A path that ended the session leaves a stopped actor: sending to it would only make xstate warn.
      if (actor.getSnapshot().status === 'active')
        actor.send({ type: 'connection.closed', error: undefined });
      const settles = effects.filter((e) => e.type === 'settle').length;
      expect(settles).toBe(sends);
      const close = effects.findIndex((e) => e.type === 'close');
      expect(
        effects
          .slice(close + 1)
          .filter(
            (e) =>
              e.type === 'write' ||
              e.type === 'writeSecret' ||
              e.type === 'writeBody' ||
              e.type === 'upgradeTls',
          ),
      ).toEqual([]);
      expect(effects.filter((e) => e.type === 'sessionEnded')).toHaveLength(1);
    }
    // Nothing was sent to a stopped machine (xstate's Actor warns then, as machine-runner.ts does).
    expect(
      warn.mock.calls.filter((args: unknown[]) => /stopped actor|after it stopped/.test(String(args[0]))),
    ).toEqual([]);
    warn.mockRestore();
  });

  test("machine level: the session's runner and an xstate Actor give the same effects and snapshots on every path", () => {
    let paths = 0;
    for (const { input, path } of allShortestPaths()) {
      const { actor, effects: byActor } = actorWithEffects(input);
      const byRunner: MachineEffect[] = [];
      const runner = new MachineRunner(sessionMachine, input, {
        onEmit: (effect) => byRunner.push(effect),
        onStep: () => {},
        onError: (error) => {
          throw error;
        },
      });
      runner.start();
      for (const { event } of path.steps.slice(1)) {
        actor.send(event);
        runner.send(event);
        const [a, r] = [actor.getSnapshot(), runner.snapshot];
        expect([r.status, r.value, r.context]).toEqual([a.status, a.value, a.context]);
        expect(byRunner).toEqual(byActor);
        if (a.status !== 'active') break;
      }
      paths++;
    }
    expect(paths).toBeGreaterThan(100);
  });
});
