/**
 * Whole-session fuzzing through the facade (imapflow-style): random replies, transport facts, sends,
 * aborts, quits and clock jumps. Invariants: never a write after close; never MAIL before a positive
 * EHLO/HELO (after TLS: a new one); never AUTH before TLS when TLS is required; every send settles
 * exactly once; no unhandled rejection. Runs with and without `coalesceReplies` (replies held for
 * the rest of their flight).
 */
import { fc, test } from '@fast-check/vitest';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { ErrorCodes } from '../../src/errors/codes.js';
import { SmtpUsageError } from '../../src/errors/smtp-error.js';
import type { Security } from '../../src/session/types.js';
import { flush, Harness } from './harness.js';

const decoder = new TextDecoder();
const EHLO_LINES = ['mx', 'STARTTLS', 'AUTH PLAIN LOGIN', 'PIPELINING', '8BITMIME', 'SIZE 100', 'SMTPUTF8'];

const action = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('reply' as const),
      code: fc.integer({ min: 200, max: 559 }),
      caps: fc.subarray(EHLO_LINES),
    }),
  },
  // The reply the current phase hopes for (0 = decided when played), so that runs get deep.
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant('reply' as const),
      code: fc.constant(0),
      caps: fc.subarray(EHLO_LINES),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('send' as const),
      size: fc.option(fc.nat(200), { nil: undefined }),
      eightBit: fc.option(fc.boolean(), { nil: undefined }),
      to: fc.integer({ min: 1, max: 3 }),
    }),
  },
  fc.constantFrom(
    ...(
      [
        'malformed',
        'tlsEstablished',
        'tlsFailed',
        'bodyProgress',
        'bodyFinished',
        'bodyFailed',
        'closed',
        'abort',
        'quit',
        'tick',
        'bigTick',
        'connected',
      ] as const
    ).map((kind) => ({ kind })),
  ),
);

const EXPECTED: Record<string, number> = { greeting: 220, starttls: 220, auth: 235, data: 354, quit: 221 };

type Action = typeof action extends fc.Arbitrary<infer A> ? A : never;

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
beforeAll(() => {
  process.on('unhandledRejection', onUnhandled);
});
afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
  expect(unhandled).toEqual([]);
});

async function run(
  security: Security,
  withAuth: boolean,
  actions: readonly Action[],
  coalesceReplies = false,
): Promise<void> {
  const h = new Harness({
    security,
    coalesceReplies,
    timeouts: { command: 1000 },
    ...(withAuth ? { auth: { user: 'u', pass: 'p' } } : {}),
  });
  const settlements: number[] = [];
  let controller = new AbortController();
  let positiveHello = false;
  let tlsUp = security === 'implicit';
  let seen = 0;
  const checkEffects = () => {
    for (const effect of h.effects.slice(seen)) {
      if (effect.type === 'upgradeTls') positiveHello = false;
      if (effect.type !== 'write') continue;
      const text = decoder.decode(effect.bytes);
      if (text.startsWith('MAIL FROM')) expect(positiveHello, 'MAIL before a positive EHLO/HELO').toBe(true);
      if (text.startsWith('AUTH') && security === 'starttls') expect(tlsUp, 'AUTH before TLS').toBe(true);
    }
    seen = h.effects.length;
    expect(h.effectsAfterClose).toEqual([]);
  };
  h.session.connected();
  for (const a of actions) {
    switch (a.kind) {
      case 'reply': {
        const phase = h.session.phase;
        const code = a.code || (EXPECTED[phase] ?? 250);
        if ((phase === 'ehlo' || phase === 'helo') && code >= 200 && code < 300) positiveHello = true;
        const lines = phase === 'ehlo' ? a.caps : ['x'];
        h.server(lines.map((line, i) => `${code}${i < lines.length - 1 ? '-' : ' '}${line}`).join('\n'));
        break;
      }
      case 'send': {
        const index = settlements.push(0) - 1;
        controller = new AbortController();
        const to = Array.from({ length: a.to }, (_, i) => `r${i}@example.org`);
        const request = {
          from: 'a@example.com',
          to,
          body: 'x',
          ...(a.size === undefined ? {} : { size: a.size }),
          ...(a.eightBit === undefined ? {} : { eightBit: a.eightBit }),
        };
        h.session.send(request, controller.signal).then(
          () => settlements[index]!++,
          () => settlements[index]!++,
        );
        break;
      }
      case 'tlsEstablished':
        if (h.session.phase === 'tls') tlsUp = true;
        h.session.tlsEstablished();
        break;
      case 'malformed':
        h.session.receive(new TextEncoder().encode('2x0 nope\r\n'));
        break;
      case 'tlsFailed':
        h.session.tlsFailed(new Error('x'));
        break;
      case 'bodyProgress':
        h.session.bodyProgress();
        break;
      case 'bodyFinished':
        h.session.bodyFinished();
        break;
      case 'bodyFailed':
        h.session.bodyFailed(
          new SmtpUsageError({ code: ErrorCodes.BODY_NUL, field: 'body', message: 'body: NUL' }),
        );
        break;
      case 'closed':
        h.session.closed();
        break;
      case 'abort':
        controller.abort();
        break;
      case 'quit':
        void h.session.quit();
        break;
      case 'tick':
        h.clock.increment(999);
        break;
      case 'bigTick':
        h.clock.increment(600_000);
        break;
      case 'connected':
        h.session.connected();
        break;
    }
    checkEffects();
  }
  h.session.closed();
  await flush();
  checkEffects();
  expect(h.session.ended).toBe(true);
  expect(
    settlements.every((count) => count === 1),
    `settlements ${settlements}`,
  ).toBe(true);
}

describe('whole-session fuzz', () => {
  test.prop(
    [
      fc.constantFrom<Security>('starttls', 'starttls-opportunistic', 'none', 'implicit'),
      fc.boolean(),
      fc.array(action, { maxLength: 40 }),
      fc.boolean(),
    ],
    {
      numRuns: 400,
    },
  )(
    'invariants hold for any sequence of facts (with coalesceReplies or not)',
    async (security, withAuth, actions, coalesce) => {
      await run(security, withAuth, actions, coalesce);
    },
  );
});
