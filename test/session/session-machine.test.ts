/**
 * The session machine's table against its setup: no dead action, guard or delay, and no timer that
 * only a test can fire (the connect timeout is the transport's: it dials before the Session exists).
 */

import { describe, expect, test } from 'vitest';
import type { AnyStateNode } from 'xstate';
import { sessionMachine } from '../../src/session/session-machine.js';
import { DEFAULT_TIMEOUTS } from '../../src/session/timeouts.js';
import { Harness } from './harness.js';

const nameOf = (item: unknown): string | undefined =>
  typeof item === 'string' ? item : (item as { type?: string } | undefined)?.type;

/** Every action, guard and delay name the table refers to. */
function referenced(): { actions: Set<string>; guards: Set<string>; delays: Set<string> } {
  const actions = new Set<string>();
  const guards = new Set<string>();
  const delays = new Set<string>();
  for (const node of Object.values(sessionMachine.root.states) as AnyStateNode[]) {
    for (const action of [...node.entry, ...node.exit]) actions.add(nameOf(action) ?? '');
    for (const transition of [...[...node.transitions.values()].flat(), ...(node.always ?? [])]) {
      for (const action of transition.actions) actions.add(nameOf(action) ?? '');
      if (transition.guard !== undefined) guards.add(nameOf(transition.guard) ?? '');
    }
    for (const delayed of node.after) delays.add(String(delayed.delay));
  }
  return { actions, guards, delays };
}

describe('session machine table', () => {
  test('every action, guard and delay of the setup is used by the table (no dead code)', () => {
    const { actions, guards, delays } = referenced();
    const { implementations } = sessionMachine;
    expect(Object.keys(implementations.actions).filter((name) => !actions.has(name))).toEqual([]);
    expect(Object.keys(implementations.guards).filter((name) => !guards.has(name))).toEqual([]);
    expect(Object.keys(implementations.delays).filter((name) => !delays.has(name))).toEqual([]);
  });

  test('connecting has no timer: the transport dials (with its connect timeout) and calls connected() at once', () => {
    const h = new Harness();
    h.clock.increment(DEFAULT_TIMEOUTS.connect * 10);
    expect(h.session.state).toBe('connecting');
    expect(h.closed).toBe(false);
    h.session.connected();
    expect(h.session.state).toBe('greeting');
  });
});
