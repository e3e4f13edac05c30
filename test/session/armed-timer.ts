/** The timer (RFC 5321 §4.5.3.2) a state of the session machine arms on entry (`arms(timer)` in the table). */
import type { AnyStateNode } from 'xstate';
import { timerArmedOnEntry } from '../../scripts/spec/chart.js';
import type { TimerName } from '../../src/session/machine-types.js';
import { sessionMachine } from '../../src/session/session-machine.js';

export function armedTimer(state: string): TimerName | undefined {
  const node = (sessionMachine.root.states as Record<string, AnyStateNode | undefined>)[state];
  return node === undefined ? undefined : (timerArmedOnEntry(node) as TimerName | undefined);
}
