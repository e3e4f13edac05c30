/**
 * Runs the session machine with xstate's own transition function: `machine.transition` is the
 * SCXML macrostep (guards, assign, emit, exit and entry actions, in document order), the same one an
 * xstate Actor calls. What an Actor adds around it, the session needs only a little of, and that
 * little is here:
 * - events are taken one at a time, in order: one sent while a step's effects run waits for that step;
 * - a step's emitted effects are delivered in order once its snapshot is in place, then `onStep`;
 * - an action that throws stops the machine (`onError`), with none of that step's effects delivered;
 *   an effect handler or the listener that throws stops it too, with the rest of the step undelivered;
 * - a final state ends it: later events are not taken.
 * Left out: the mailbox, inspection events, observers and the per-action closures an Actor allocates
 * on every step (measured in bench/README.md, fifteenth session). (An Actor reports a throwing
 * listener later, as an uncaught exception, and goes on.) The machine uses no delays, children,
 * `raise` or `sendTo` (xstate's scheduler is never asked for; its system only sees inspection calls
 * with no inspector), which a test checks.
 */
import { type AnyActorScope, createActor, type SnapshotFrom } from 'xstate';
import type { MachineEffect, SessionConfig, SessionEvent } from './machine-types.js';
import type { sessionMachine } from './session-machine.js';

type Machine = typeof sessionMachine;
export type MachineSnapshot = SnapshotFrom<Machine>;

export interface RunnerHooks {
  /** An effect the machine emitted, in order, after its step's snapshot is in place. */
  readonly onEmit: (effect: MachineEffect) => void;
  /** After each step's effects: the snapshot it left (also after a step that matched nothing). */
  readonly onStep: (snapshot: MachineSnapshot) => void;
  /** An action or guard threw, or onEmit or onStep did: the machine is stopped (status 'error'). */
  readonly onError: (error: unknown) => void;
}

export class MachineRunner {
  readonly #machine: Machine;
  readonly #hooks: RunnerHooks;
  readonly #scope: AnyActorScope;
  #snapshot: MachineSnapshot;
  /** Effects of the step in progress (xstate's emit defers each to the end of its step). */
  readonly #deferred: (() => void)[] = [];
  /** Events sent while a step's effects run: taken after it, in order. */
  readonly #queue: SessionEvent[] = [];
  #running = false;
  #started = false;

  constructor(machine: Machine, input: SessionConfig, hooks: RunnerHooks) {
    this.#machine = machine;
    this.#hooks = hooks;
    // An Actor that is never started stands for `self` (and its system) where xstate passes them to
    // actions; the session's actions use neither.
    const self = createActor(machine, { input });
    this.#scope = {
      self,
      id: self.id,
      sessionId: self.sessionId,
      logger: () => {},
      defer: (fn) => this.#deferred.push(fn),
      system: self.system,
      stopChild: () => {},
      emit: (effect) => this.#hooks.onEmit(effect),
      // Builtin actions (assign, emit) come here with `exec` bound; emit's exec defers the effect.
      actionExecutor: (action) => action.exec?.(action.info, action.params),
    };
    this.#snapshot = machine.getInitialSnapshot(this.#scope, input);
  }

  get snapshot(): MachineSnapshot {
    return this.#snapshot;
  }

  /** Delivers the initial state's effects, as an Actor's start() does. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#running = true;
    try {
      this.#settleStep(this.#snapshot);
    } finally {
      this.#running = false;
    }
    this.#drain();
  }

  send(event: SessionEvent): void {
    if (!this.#started) throw new Error('MachineRunner: send() before start()');
    if (!this.#running && this.#snapshot.status !== 'active') {
      // The facade checks first (session.ts #send): this is its bug, reported as xstate's Actor does.
      console.warn(`Event "${event.type}" was sent to the session machine after it stopped: ignored`);
      return;
    }
    this.#queue.push(event);
    if (this.#running) return;
    this.#drain();
  }

  #drain(): void {
    this.#running = true;
    try {
      for (let event = this.#queue.shift(); event !== undefined; event = this.#queue.shift()) {
        if (this.#snapshot.status !== 'active') {
          this.#queue.length = 0;
          break;
        }
        let next: MachineSnapshot;
        try {
          next = this.#machine.transition(this.#snapshot, event, this.#scope);
        } catch (error) {
          this.#stop(error);
          break;
        }
        this.#settleStep(next);
      }
    } finally {
      this.#running = false;
    }
  }

  /**
   * The step's snapshot in place, then its effects in order, then the listener. A handler that
   * throws is a bug of the owner, which can no longer be trusted to have applied the step: the
   * machine stops there, as for an action that throws (the rest of the step is not delivered).
   */
  #settleStep(next: MachineSnapshot): void {
    this.#snapshot = next;
    const deferred = this.#deferred;
    try {
      // No step runs meanwhile (an event sent from an effect waits in #queue): nothing is added here.
      for (let i = 0; i < deferred.length; i++) deferred[i]?.();
      this.#hooks.onStep(next);
    } catch (error) {
      this.#stop(error);
    } finally {
      deferred.length = 0;
    }
  }

  /** Status 'error': nothing more is taken (queued events are dropped), then the owner is told. */
  #stop(error: unknown): void {
    this.#deferred.length = 0;
    this.#queue.length = 0;
    this.#snapshot = { ...this.#snapshot, status: 'error', error } as MachineSnapshot;
    this.#hooks.onError(error);
  }
}
