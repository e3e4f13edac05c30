/**
 * The runner that drives the session machine with xstate's transition function (machine-runner.ts):
 * what it keeps of an Actor's behaviour — effects after the step's snapshot is in place, then the step
 * listener; events sent from inside a step wait for it; a throwing guard or action stops the machine
 * with none of its step's effects; nothing is taken after the end.
 */
import { afterEach, describe, expect, test, vi } from 'vitest';
import type { Reply } from '../../src/protocol/reply-types.js';
import { resolveConfig } from '../../src/session/config.js';
import { MachineRunner, type RunnerHooks } from '../../src/session/machine-runner.js';
import type { MachineEffect, SessionEvent } from '../../src/session/machine-types.js';
import { sessionMachine } from '../../src/session/session-machine.js';

const reply = (code: number, text = 'ok'): SessionEvent => ({
  type: 'reply.received',
  reply: { code, lines: [text] },
  trailing: false,
});

type Seen = { kind: 'effect'; type: string; state: string } | { kind: 'step'; state: string };

function runner(onEffect: (effect: MachineEffect, runner: MachineRunner) => void = () => {}) {
  const seen: Seen[] = [];
  const errors: unknown[] = [];
  const hooks: RunnerHooks = {
    onEmit: (effect) => {
      seen.push({ kind: 'effect', type: effect.type, state: String(machine.snapshot.value) });
      onEffect(effect, machine);
    },
    onStep: (snapshot) => seen.push({ kind: 'step', state: String(snapshot.value) }),
    onError: (error) => errors.push(error),
  };
  const machine = new MachineRunner(
    sessionMachine,
    resolveConfig({ clientName: 'client.example', security: 'none' }),
    hooks,
  );
  machine.start();
  return { machine, seen, errors };
}

afterEach(() => vi.restoreAllMocks());

describe('MachineRunner', () => {
  test("a step's effects come in order once its snapshot is in place, then the step listener", () => {
    const { machine, seen } = runner();
    expect(seen).toEqual([{ kind: 'step', state: 'connecting' }]);
    seen.length = 0;
    machine.send({ type: 'connection.opened' });
    expect(seen).toEqual([
      { kind: 'effect', type: 'armTimer', state: 'greeting' },
      { kind: 'step', state: 'greeting' },
    ]);
    seen.length = 0;
    machine.send(reply(220, 'mx.example ESMTP'));
    expect(machine.snapshot.value).toBe('ehlo');
    expect(seen.map((s) => (s.kind === 'effect' ? s.type : 'step'))).toEqual(['write', 'armTimer', 'step']);
    expect(seen.every((s) => s.state === 'ehlo')).toBe(true);
  });

  test('an event sent from inside an effect waits until that step is done, listener included', () => {
    let fed = false;
    const { machine, seen } = runner((effect, self) => {
      if (effect.type === 'armTimer' && !fed) {
        fed = true;
        self.send(reply(220, 'mx.example ESMTP'));
        // Not taken yet: the step that armed the timer is still delivering its effects.
        expect(self.snapshot.value).toBe('greeting');
      }
    });
    seen.length = 0;
    machine.send({ type: 'connection.opened' });
    expect(seen).toEqual([
      { kind: 'effect', type: 'armTimer', state: 'greeting' },
      { kind: 'step', state: 'greeting' },
      { kind: 'effect', type: 'write', state: 'ehlo' },
      { kind: 'effect', type: 'armTimer', state: 'ehlo' },
      { kind: 'step', state: 'ehlo' },
    ]);
  });

  test('an event no transition takes leaves the very same snapshot', () => {
    const { machine } = runner();
    const before = machine.snapshot;
    machine.send({ type: 'body.progress' });
    expect(machine.snapshot).toBe(before);
  });

  test('a guard that throws stops the machine: onError, none of the step’s effects, later events ignored', () => {
    const { machine, seen, errors } = runner();
    machine.send({ type: 'connection.opened' });
    seen.length = 0;
    const broken = new Error('reply getter broke');
    const bad = {
      get code(): number {
        throw broken;
      },
      lines: ['x'],
    } as unknown as Reply;
    machine.send({ type: 'reply.received', reply: bad, trailing: false });
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toContain('reply getter broke');
    expect(seen).toEqual([]);
    expect(machine.snapshot.status).toBe('error');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    machine.send(reply(220));
    expect(seen).toEqual([]);
    expect(warn).toHaveBeenCalledTimes(1);
  });

  test('an action that throws after an emit in the same step: none of that step’s effects are delivered', () => {
    const base = resolveConfig({ clientName: 'client.example', security: 'none' });
    const broken = new Error('command timeout getter broke');
    // The greeting's 220 writes EHLO (an emit), then entering `ehlo` arms the command timer: that throws.
    const timeouts = {
      ...base.timeouts,
      get command(): number {
        throw broken;
      },
    };
    const seen: string[] = [];
    const errors: unknown[] = [];
    const machine = new MachineRunner(
      sessionMachine,
      { ...base, timeouts },
      {
        onEmit: (effect) => seen.push(effect.type),
        onStep: (snapshot) => seen.push(`step ${String(snapshot.value)}`),
        onError: (error) => errors.push(error),
      },
    );
    machine.start();
    machine.send({ type: 'connection.opened' });
    seen.length = 0;
    machine.send(reply(220, 'mx.example ESMTP'));
    expect(seen).toEqual([]);
    expect(String(errors[0])).toContain('command timeout getter broke');
    expect(machine.snapshot.status).toBe('error');
  });

  test('an effect handler that throws stops the machine: the rest of the step and what it sent are dropped', () => {
    const broken = new Error('handler broke');
    const errors: unknown[] = [];
    const seen: string[] = [];
    const machine = new MachineRunner(
      sessionMachine,
      resolveConfig({ clientName: 'client.example', security: 'none' }),
      {
        onEmit: (effect) => {
          seen.push(effect.type);
          if (effect.type === 'write') {
            machine.send({ type: 'timer.expired' });
            throw broken;
          }
        },
        onStep: (snapshot) => seen.push(`step ${String(snapshot.value)}`),
        onError: (error) => errors.push(error),
      },
    );
    machine.start();
    machine.send({ type: 'connection.opened' });
    seen.length = 0;
    expect(() => machine.send(reply(220, 'mx.example ESMTP'))).not.toThrow();
    // The write threw: its step's armTimer and listener are not reached, the queued timer.expired not taken.
    expect(seen).toEqual(['write']);
    expect(errors).toEqual([broken]);
    expect(machine.snapshot.status).toBe('error');
    expect(machine.snapshot.value).toBe('ehlo');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    machine.send({ type: 'body.progress' });
    expect(warn).toHaveBeenCalledTimes(1);
  });

  test('a final state ends it: the events its effects send are dropped, later ones warned about', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const { machine, seen } = runner((effect, self) => {
      // The close of the final step's effects, reported back at once (as a transport may).
      if (effect.type === 'close') self.send({ type: 'connection.closed', error: undefined });
    });
    machine.send({ type: 'connection.opened' });
    machine.send(reply(421, 'busy'));
    expect(machine.snapshot.status).toBe('done');
    // One listener call per step taken: the start, connection.opened, the 421; not the dropped close.
    expect(seen.filter((s) => s.kind === 'step')).toEqual([
      { kind: 'step', state: 'connecting' },
      { kind: 'step', state: 'greeting' },
      { kind: 'step', state: 'failed' },
    ]);
    expect(warn).not.toHaveBeenCalled();
    const steps = seen.length;
    machine.send({ type: 'connection.opened' });
    expect(seen).toHaveLength(steps);
    expect(warn).toHaveBeenCalledTimes(1);
  });
});

describe('what the runner leaves out, the machine does not use', () => {
  test('no delayed transitions or invoked actors in any state, no raise or sendTo among its actions', () => {
    const nodes = [sessionMachine.root];
    for (let i = 0; i < nodes.length; i++) {
      const node = nodes[i];
      if (node === undefined) continue;
      nodes.push(...Object.values(node.states));
      // A delayed event would be scheduled on the runner's never-started `self` and lost.
      expect(node.after, node.id).toEqual([]);
      expect(node.invoke, node.id).toEqual([]);
    }
    expect(nodes.length).toBeGreaterThan(20);
    const builtins = Object.values(sessionMachine.implementations.actions).map(
      (action) => (action as { type?: string }).type,
    );
    expect(builtins).toContain('xstate.emit');
    expect(builtins.filter((type) => type === 'xstate.raise' || type === 'xstate.sendTo')).toEqual([]);
  });
});
