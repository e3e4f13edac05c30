/**
 * The session machine's table against its setup: no dead action or guard; each waiting state arms
 * the RFC 5321 §4.5.3.2 timer that applies to it, and no timer that only a test can fire (the
 * connect timeout is the transport's: it dials before the Session exists).
 */

import { describe, expect, test } from 'vitest';
import type { AnyStateNode } from 'xstate';
import { sessionMachine } from '../../src/session/session-machine.js';
import { DEFAULT_TIMEOUTS } from '../../src/session/timeouts.js';
import { armedTimer } from './armed-timer.js';
import { Harness } from './harness.js';

const nameOf = (item: unknown): string | undefined =>
  typeof item === 'string' ? item : (item as { type?: string } | undefined)?.type;

/** Every action and guard name the table refers to. */
function referenced(): { actions: Set<string>; guards: Set<string> } {
  const actions = new Set<string>();
  const guards = new Set<string>();
  for (const node of Object.values(sessionMachine.root.states) as AnyStateNode[]) {
    for (const action of [...node.entry, ...node.exit]) actions.add(nameOf(action) ?? '');
    for (const transition of [...[...node.transitions.values()].flat(), ...(node.always ?? [])]) {
      for (const action of transition.actions) actions.add(nameOf(action) ?? '');
      if (transition.guard !== undefined) guards.add(nameOf(transition.guard) ?? '');
    }
  }
  return { actions, guards };
}

/**
 * RFC 5321 §4.5.3.2, state by state: what each waits for and so which timer it arms (the command
 * timeout also covers EHLO/HELO, STARTTLS, the TLS handshake, AUTH, RSET and QUIT). Written out
 * here rather than read from the table, so that a state arming the wrong timer shows.
 */
const TIMER_OF_STATE: Record<string, string | undefined> = {
  connecting: undefined,
  greeting: 'greeting',
  ehlo: 'command',
  helo: 'command',
  negotiate: undefined,
  starttls: 'command',
  tlsHandshake: 'command',
  ehloAfterTls: 'command',
  auth: 'command',
  ready: undefined,
  mail: 'command',
  rcpt: 'command',
  data: 'dataStart',
  body: 'dataBlock',
  dataEnd: 'dataTermination',
  loneDot: 'dataTermination',
  bdat: 'dataBlock',
  bdatEnd: 'dataTermination',
  // A 421 to the envelope behind a LAST chunk written: the server's close is awaited (command timer).
  closingBehindChunk: 'command',
  rset: 'command',
  quit: 'command',
  closed: undefined,
  failed: undefined,
};

describe('session machine table', () => {
  test('every action and guard of the setup is used by the table (no dead code)', () => {
    const { actions, guards } = referenced();
    const { implementations } = sessionMachine;
    expect(Object.keys(implementations.actions).filter((name) => !actions.has(name))).toEqual([]);
    expect(Object.keys(implementations.guards).filter((name) => !guards.has(name))).toEqual([]);
  });

  test('each state arms the RFC 5321 §4.5.3.2 timer of what it waits for, and handles its expiry', () => {
    const states = sessionMachine.root.states as Record<string, AnyStateNode>;
    expect(Object.keys(states).sort()).toEqual(Object.keys(TIMER_OF_STATE).sort());
    for (const [state, timer] of Object.entries(TIMER_OF_STATE)) {
      expect(armedTimer(state), state).toBe(timer);
      expect(states[state]?.transitions.has('timer.expired'), state).toBe(timer !== undefined);
    }
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
