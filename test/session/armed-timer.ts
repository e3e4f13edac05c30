/** The timer (RFC 5321 §4.5.3.2) a state of the session machine arms on entry (`arms(timer)` in the table). */
import type { TimerName } from '../../src/session/machine-types.js';
import { sessionMachine } from '../../src/session/session-machine.js';

export function armedTimer(state: string): TimerName | undefined {
  const node = (sessionMachine.root.states as Record<string, { entry: readonly unknown[] } | undefined>)[
    state
  ];
  for (const action of node?.entry ?? []) {
    const { type, params } = action as { type?: string; params?: { timer?: TimerName } };
    if (type === 'arm') return params?.timer;
  }
  return undefined;
}
