import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { attemptsOf } from '../../src/delivery/attempt-history.js';
import { ErrorCodes } from '../../src/errors/codes.js';
import { flushPromises } from '../support/manual-clock.js';
import {
  type Behaviour,
  type Call,
  closedError,
  fail,
  message,
  ok,
  replyError,
  SES_HOST,
  senderOf,
  setup,
  track,
} from './pool-fakes.js';

const KINDS = [
  'ok',
  'partial',
  'temporary',
  'too-many-connections',
  'session-cap',
  'idle-timeout',
  'rate',
  'quota',
  'reject',
  'closed-not-sent',
  'closed-unknown',
  'hang-not-sent', // in a transaction until aborted; the abort comes before the dot
  'hang-unknown', // in a transaction until aborted; the dot was already written
  'stuck', // never settles, not even on abort
] as const;
/** What may leave a send's outcome unknown: a transaction that lost its final reply. */
const MAY_BE_UNKNOWN: ReadonlySet<Kind> = new Set(['closed-unknown', 'hang-unknown', 'stuck']);
type Kind = (typeof KINDS)[number];

function behaviour(kind: Kind, call: Call): Behaviour {
  switch (kind) {
    case 'ok':
      return ok;
    case 'partial': {
      const to = call.request.to;
      const rejected = [{ recipient: to[to.length - 1] ?? '', code: 452, text: '4.5.3 Too many recipients' }];
      if (to.length >= 3) rejected.push({ recipient: to[1] ?? '', code: 550, text: '5.1.1 No such user' });
      return { kind: 'ok', rejected };
    }
    case 'temporary':
      return fail(replyError(451, 'Temporary service failure', 'data-end'));
    case 'too-many-connections':
      return fail(replyError(421, 'Too many concurrent SMTP connections', 'greeting'));
    case 'session-cap':
      return fail(replyError(421, 'Maximum message count per session reached.', 'mail'));
    case 'idle-timeout':
      return fail(replyError(451, '4.4.2 Timeout waiting for data from client', 'mail'));
    case 'rate':
      return fail(replyError(454, 'Throttling failure: Maximum sending rate exceeded.', 'data-end'));
    case 'quota':
      return fail(replyError(454, 'Throttling failure: Daily message quota exceeded.', 'data-end'));
    case 'reject':
      return fail(replyError(554, 'Message rejected: Email address is not verified.', 'data-end'));
    case 'closed-not-sent':
      return fail(closedError('not-sent', 'mail'));
    case 'closed-unknown':
      return fail(closedError('unknown', 'data-end'));
    case 'hang-not-sent':
      return { kind: 'hang', outcome: 'not-sent' };
    case 'hang-unknown':
      return { kind: 'hang', outcome: 'unknown' };
    case 'stuck':
      return { kind: 'stuck' };
  }
}

const scenario = fc.record({
  maxConnections: fc.integer({ min: 1, max: 4 }),
  maxMessagesPerConnection: fc.integer({ min: 1, max: 4 }),
  atLeastOnce: fc.boolean(),
  quotaWait: fc.boolean(),
  rateLimited: fc.boolean(),
  /** Clients report `pipelining`: the pool may give one up to three sends at once. */
  pipelining: fc.boolean(),
  closeDelayMs: fc.integer({ min: 0, max: 300 }),
  close: fc.option(
    fc.record({
      at: fc.integer({ min: 0, max: 10_000 }),
      deadlineMs: fc.option(fc.integer({ min: 0, max: 5_000 }), { nil: undefined }),
      waitForRetries: fc.option(fc.boolean(), { nil: undefined }),
    }),
    { nil: undefined },
  ),
  sends: fc.array(
    fc.record({
      recipients: fc.integer({ min: 1, max: 3 }),
      at: fc.integer({ min: 0, max: 3_000 }),
      abortAt: fc.option(fc.integer({ min: 0, max: 20_000 }), { nil: undefined }),
    }),
    { minLength: 1, maxLength: 12 },
  ),
  outcomes: fc.array(
    fc.record({ kind: fc.constantFrom(...KINDS), delayMs: fc.integer({ min: 0, max: 1_500 }) }),
    { minLength: 1, maxLength: 24 },
  ),
});

describe('pool properties', () => {
  test.prop([scenario], { numRuns: 150 })(
    'every send settles exactly once; no 5xx or unknown (without atLeastOnce) is retried; limits hold',
    async (s) => {
      const kindsByFrom = new Map<string, Kind[]>();
      const { pool, clock, server, events } = setup(
        (call) => {
          const outcome = s.outcomes[call.index % s.outcomes.length] ?? { kind: 'ok' as const, delayMs: 0 };
          kindsByFrom.set(call.request.from, [...(kindsByFrom.get(call.request.from) ?? []), outcome.kind]);
          // An abort during the delay is answered as the client answers it: exactly (the delay is
          // before the dot, except for the kinds that lose the final reply); 'stuck' never answers.
          return new Promise((resolve) => {
            const timer = clock.setTimeout(() => resolve(behaviour(outcome.kind, call)), outcome.delayMs);
            if (outcome.kind === 'stuck') return;
            call.request.signal?.addEventListener('abort', () => {
              clock.clearTimeout(timer);
              resolve({ kind: 'hang', outcome: MAY_BE_UNKNOWN.has(outcome.kind) ? 'unknown' : 'not-sent' });
            });
          });
        },
        {
          host: SES_HOST,
          maxConnections: s.maxConnections,
          maxMessagesPerConnection: s.maxMessagesPerConnection,
          atLeastOnce: s.atLeastOnce,
          onQuotaExceeded: s.quotaWait ? 'wait' : 'fail',
          retry: { delaysMs: [100, 1_000, 5_000], maxAttempts: 5 },
          ...(s.rateLimited ? { rateLimit: { perSecond: 5, burst: 2 } } : {}),
        },
      );
      server.closeDelay = () => new Promise((resolve) => clock.setTimeout(resolve, s.closeDelayMs));
      server.pipelining = s.pipelining;
      const records: ReturnType<typeof track>[] = [];
      const requested: string[][] = [];
      // A send made once close() was called is refused untouched: no event, no count, no attempt.
      let closeCalled = false;
      const afterClose = new Set<number>();
      s.sends.forEach((send, n) => {
        const to = Array.from({ length: send.recipients }, (_, i) => `r${n}.${i}@x.test`);
        requested.push(to);
        const controller = new AbortController();
        clock.setTimeout(() => {
          if (closeCalled) afterClose.add(n);
          records[n] = track(pool.send({ ...message(n, to), signal: controller.signal }));
        }, send.at);
        if (send.abortAt !== undefined) clock.setTimeout(() => controller.abort(), send.abortAt);
      });
      const close = s.close;
      if (close) {
        const options = {
          ...(close.deadlineMs === undefined ? {} : { deadlineMs: close.deadlineMs }),
          ...(close.waitForRetries === undefined ? {} : { waitForRetries: close.waitForRetries }),
        };
        clock.setTimeout(() => {
          closeCalled = true;
          void pool.close(options);
        }, close.at);
      }
      const allSettled = () => s.sends.every((_, n) => (records[n]?.settled.length ?? 0) > 0);
      for (let i = 0; i < 100 && !allSettled(); i++) {
        await clock.advanceAsync(2_000);
        pool.resume();
      }
      let closed = false;
      // Transactions that hang are only ended by a deadline (a later close may shorten one).
      void pool.close({ deadlineMs: 5_000 }).then(() => {
        closed = true;
      });
      for (let i = 0; i < 20 && !closed; i++) await clock.advanceAsync(1_000);
      await flushPromises();

      expect(closed).toBe(true);
      expect(records.map((r) => r.settled.length)).toEqual(s.sends.map(() => 1));
      const taken = s.sends.length - afterClose.size;
      const terminal = events.filter((e) => e.type === 'message-accepted' || e.type === 'message-rejected');
      expect(terminal.length).toBe(taken);
      expect(new Set(terminal.map((e) => ('sendId' in e ? e.sendId : 0))).size).toBe(taken);
      expect(events.at(-1)?.type).toBe('pool-closed');
      expect(server.violations).toEqual([]);
      expect(server.peakAlive).toBeLessThanOrEqual(s.maxConnections);
      expect(server.alive).toBe(0);
      expect(server.clients.every((c) => c.transactions <= s.maxMessagesPerConnection)).toBe(true);
      const stats = pool.stats();
      expect(stats.delivered + stats.rejected + stats.unknown + stats.failed).toBe(taken);
      expect([stats.queued, stats.inFlight, stats.waitingRetry, stats.connections]).toEqual([0, 0, 0, 0]);

      records.forEach((record, n) => {
        const settled = record.settled[0];
        if (!settled) throw new Error('unsettled');
        if (afterClose.has(n)) {
          expect(settled.ok ? undefined : [settled.error.code, settled.error.outcome]).toEqual([
            ErrorCodes.CLIENT_CLOSED,
            'not-sent',
          ]);
          expect(kindsByFrom.get(message(n).from)).toBeUndefined();
          return;
        }
        const attempts = settled.ok ? settled.value.attempts : (attemptsOf(settled.error) ?? []);
        if (!settled.ok) expect(attemptsOf(settled.error)).toBeDefined();
        for (const attempt of attempts.slice(0, -1)) {
          // Only something that may succeed if repeated is followed by another attempt.
          expect(attempt.error?.outcome).not.toBe('rejected');
          if (attempt.error?.outcome === 'unknown') expect(s.atLeastOnce).toBe(true);
          if (!attempt.error) expect(attempt.accepted?.length).toBeLessThan(attempt.recipients.length);
        }
        const deliveredTo = attempts.flatMap((a) => a.accepted ?? []);
        if (settled.ok) {
          const to = requested[n] ?? [];
          const reported = [...settled.value.accepted, ...settled.value.rejected.map((r) => r.recipient)];
          expect(reported.sort()).toEqual([...to].sort());
          expect(settled.value.accepted.length).toBeGreaterThan(0);
          if (!settled.value.mayDuplicate) expect(new Set(deliveredTo).size).toBe(deliveredTo.length);
          if (settled.value.mayDuplicate) expect(s.atLeastOnce).toBe(true);
        } else {
          expect(deliveredTo).toEqual([]);
          const unknownEarlier = attempts.some((a) => a.error?.outcome === 'unknown');
          if (unknownEarlier) expect(settled.error.outcome).toBe('unknown');
          // Unknown only when some transaction of this send may have lost its final reply.
          const kinds = kindsByFrom.get(message(n).from) ?? [];
          if (settled.error.outcome === 'unknown')
            expect(kinds.some((k) => MAY_BE_UNKNOWN.has(k))).toBe(true);
        }
      });
    },
  );

  test.prop(
    [
      fc.integer({ min: 1, max: 5 }),
      fc.array(fc.integer({ min: 0, max: 2_000 }), { minLength: 1, maxLength: 30 }),
      fc.integer({ min: 1, max: 6 }),
      fc.boolean(),
    ],
    { numRuns: 200 },
  )(
    'transactions start in arrival order, at most maxConnections at once (pipelining clients sharing theirs)',
    async (maxConnections, delays, maxMessages, pipelining) => {
      const { pool, clock, server } = setup(
        (call) => new Promise((resolve) => clock.setTimeout(() => resolve(ok), delays[call.index] ?? 0)),
        { maxConnections, maxMessagesPerConnection: maxMessages, maxQueue: delays.length },
      );
      server.closeDelay = () => new Promise((resolve) => clock.setTimeout(resolve, 50));
      server.pipelining = pipelining;
      const sends = delays.map((_, n) => pool.send(message(n)));
      await clock.advanceAsync(delays.length * 2_100);
      await Promise.all(sends);
      expect(server.froms).toEqual(delays.map((_, n) => senderOf(n)));
      expect(server.peakAlive).toBeLessThanOrEqual(maxConnections);
      expect(server.violations).toEqual([]);
      expect(server.clients.every((c) => c.transactions <= maxMessages)).toBe(true);
      if (!pipelining) expect(server.clients.every((c) => c.peakRunning <= 1)).toBe(true);
    },
  );
});
