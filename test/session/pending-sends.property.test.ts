/**
 * PendingSends reuses the slot of a settled send for a later one (no Map: see its header). For any
 * interleaving of adds and settles it must answer as an ordered list of the pending ids would: ids
 * oldest first, each settled exactly once, the right promise resolved or rejected.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SmtpUsageError } from '../../src/errors/smtp-error.js';
import { PendingSends } from '../../src/session/pending-sends.js';
import type { SendResult } from '../../src/session/types.js';

type Op = { kind: 'add' } | { kind: 'settle'; pick: number; ok: boolean };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.constant({ kind: 'add' } as const),
  fc.record({ kind: fc.constant('settle' as const), pick: fc.nat(20), ok: fc.boolean() }),
);

const result = (id: number) => ({ id }) as unknown as SendResult;
const failure = (id: number) => new SmtpUsageError({ code: 'SMTP_ABORTED', message: `send ${id}` });

describe('PendingSends', () => {
  it('answers as an ordered list of pending ids, whatever the adds and settles', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 60 }), async (ops) => {
        const pending = new PendingSends();
        const model: number[] = [];
        const outcomes = new Map<number, Promise<unknown>>();
        let lastId = 0;
        for (const step of ops) {
          if (step.kind === 'add') {
            let started = 0;
            const promise = pending.add(
              undefined,
              () => {},
              (id) => {
                started = id;
              },
            );
            lastId++;
            expect(started).toBe(lastId);
            model.push(lastId);
            outcomes.set(
              lastId,
              promise.then(
                (value) => ({ ok: value }),
                (error: unknown) => ({ error }),
              ),
            );
          } else {
            // Sometimes an id that is pending, sometimes one settled before or never given.
            const id = step.pick % 2 === 0 && model.length > 0 ? model[step.pick % model.length]! : step.pick;
            const wasPending = model.includes(id);
            const settled = pending.settle(
              id,
              step.ok ? { ok: true, result: result(id) } : { ok: false, error: failure(id) },
            );
            expect(settled).toBe(wasPending);
            if (wasPending) {
              model.splice(model.indexOf(id), 1);
              const outcome = await outcomes.get(id);
              expect(outcome).toEqual(step.ok ? { ok: result(id) } : { error: failure(id) });
            }
          }
          expect(pending.ids()).toEqual(model);
          expect(pending.size).toBe(model.length);
          const [a, b] = model.slice(-2);
          expect(pending.allAmong(a, b)).toBe(model.length <= 2);
          expect(pending.every((id) => model.includes(id))).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('an abort of a pending send calls back with its id; after it settles, the signal is let go', () => {
    const pending = new PendingSends();
    const controller = new AbortController();
    const aborted: number[] = [];
    void pending
      .add(
        controller.signal,
        (id) => aborted.push(id),
        () => {},
      )
      .catch(() => {});
    void pending
      .add(
        undefined,
        () => {},
        () => {},
      )
      .catch(() => {});
    expect(pending.settle(2, { ok: false, error: failure(2) })).toBe(true);
    controller.abort();
    expect(aborted).toEqual([1]);
    expect(pending.settle(1, { ok: false, error: failure(1) })).toBe(true);
    const later = new AbortController();
    void pending
      .add(
        later.signal,
        (id) => aborted.push(id),
        () => {},
      )
      .catch(() => {});
    expect(pending.settle(3, { ok: true, result: result(3) })).toBe(true);
    later.abort();
    expect(aborted).toEqual([1]);
  });
});
