/**
 * `coalesceReplies` (session.ts #canWait, reply-group.ts waitsForRest): positive replies that begin a
 * pipelined flight's (RFC 2920 §3.1: the dot's 250, then the next envelope's MAIL and RCPT replies)
 * wait for the read that brings the rest, so that the machine takes the flight in one step — smtp-
 * server, for one, writes each reply on its own. Waiting may change when an earlier message settles,
 * never how: held replies are heard before anything else (a close, a timeout, a send, quit), go after
 * 1 ms on the clock at the latest, and a refusal, a 421 or the 354 is never held. The property at the
 * end checks that sessions with and without the option end the same for any split of the replies.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { createActor } from 'xstate';
import { ErrorCodes } from '../../src/errors/codes.js';
import type { Reply } from '../../src/protocol/reply-types.js';
import { resolveConfig } from '../../src/session/config.js';
import type { SessionContext } from '../../src/session/machine-types.js';
import { waitsForRest } from '../../src/session/reply-group.js';
import { sessionMachine } from '../../src/session/session-machine.js';
import { DEFAULT_TIMEOUTS } from '../../src/session/timeouts.js';
import type { SendRequest } from '../../src/session/types.js';
import { flush, Harness, KNOWN_SIZE } from './harness.js';

const PIPELINED = '250-mx.example\n250-PIPELINING\n250 SIZE 1000';
const utf8 = new TextEncoder();

/** tx1 after its dot (body finished), tx2's envelope written behind it: the steady pipelined state. */
function behindTheDot(coalesceReplies = true, to = ['c@example.org']) {
  const h = new Harness({ coalesceReplies }).ready(PIPELINED);
  const first = h.send();
  const second = h.send({ to });
  h.server('250 ok\n250 ok\n354 go');
  h.session.bodyFinished();
  expect(h.lastWrite).toBe(
    `MAIL FROM:<a@example.com>\r\n${to.map((r) => `RCPT TO:<${r}>\r\n`).join('')}DATA\r\n`,
  );
  expect(h.session.state).toBe('dataEnd');
  return { h, first, second };
}

describe('replies that begin a flight wait for the rest (coalesceReplies)', () => {
  test('the dot’s 250 alone waits; the read with the 354 takes the whole flight', async () => {
    const { h, first, second } = behindTheDot();
    h.server('250 Ok id1');
    await flush();
    expect(first.result).toBeUndefined();
    expect(h.session.state).toBe('dataEnd');
    expect(h.session.messagesSent).toBe(0);
    h.server('250 ok'); // MAIL: still no 354
    await flush();
    expect(first.result).toBeUndefined();
    h.server('250 ok\n354 go');
    await flush();
    expect(first.result).toMatchObject({ ok: true, value: { messageId: 'id1' } });
    expect(h.session.state).toBe('body');
    expect(h.session.messagesSent).toBe(1);
    h.session.bodyFinished();
    h.server('250 Ok id2'); // the last message's reply: no next envelope behind it, nothing to wait for
    await flush();
    expect(second.result).toMatchObject({ ok: true, value: { messageId: 'id2' } });
    // The transcript has every reply once, in order.
    expect(
      h.transcript.filter((e) => e.direction === 'server').map((e) => e.text.replaceAll('\r', '').trim()),
    ).toEqual([
      '220 mx.example ESMTP',
      PIPELINED,
      '250 ok',
      '250 ok',
      '354 go',
      '250 Ok id1',
      '250 ok',
      '250 ok',
      '354 go',
      '250 Ok id2',
    ]);
  });

  test('without the option (the Session default) the dot’s 250 is taken at once', async () => {
    const { h, first } = behindTheDot(false);
    h.server('250 Ok id1');
    await flush();
    expect(first.result).toMatchObject({ ok: true, value: { messageId: 'id1' } });
    expect(h.session.state).toBe('mail');
  });

  test('held replies go to the machine 1 ms later on the clock', async () => {
    const { h, first } = behindTheDot();
    h.server('250 Ok id1\n250 ok');
    h.clock.increment(0.5);
    await flush();
    expect(first.result).toBeUndefined();
    h.clock.increment(0.5);
    await flush();
    expect(first.result).toMatchObject({ ok: true, value: { messageId: 'id1' } });
    expect(h.session.state).toBe('rcpt');
  });

  test('the 1 ms counts from the first reply held: replies or bytes trickling in do not extend it', async () => {
    const trickle = behindTheDot(true, ['c1@example.org', 'c2@example.org', 'c3@example.org']);
    trickle.h.server('250 Ok id1');
    for (const line of ['250 ok', '250 ok', '250 ok']) {
      trickle.h.clock.increment(0.4);
      trickle.h.server(line); // MAIL, then RCPTs: still waiting for the 354
    }
    await flush();
    expect(trickle.first.result).toMatchObject({ ok: true, value: { messageId: 'id1' } });

    const bytes = behindTheDot();
    bytes.h.server('250 Ok id1');
    for (const byte of utf8.encode(`250-${'x'.repeat(10)}\r\n`)) {
      bytes.h.clock.increment(0.4);
      bytes.h.session.receive(Uint8Array.of(byte));
    }
    await flush();
    expect(bytes.first.result).toMatchObject({ ok: true, value: { messageId: 'id1' } });
  });

  test('a reply trickling in byte by byte past the command timeout times out as without the option', async () => {
    for (const coalesceReplies of [false, true]) {
      const h = new Harness({ coalesceReplies, timeouts: { command: 50, dataTermination: 1000 } }).ready(
        PIPELINED,
      );
      const first = h.send();
      const second = h.send({ to: ['c@example.org'] });
      h.server('250 ok\n250 ok\n354 go');
      h.session.bodyFinished();
      h.server('250 Ok id1');
      for (const byte of utf8.encode(`250-${'x'.repeat(120)}\r\n`)) {
        h.clock.increment(0.9);
        h.session.receive(Uint8Array.of(byte));
      }
      await flush();
      expect({
        coalesceReplies,
        first: first.result?.ok,
        second: second.result?.ok,
        state: h.session.state,
      }).toEqual({ coalesceReplies, first: true, second: false, state: 'failed' });
    }
  });

  test('a close hears them first: the message is delivered, not “may have been delivered”', async () => {
    const { h, first, second } = behindTheDot();
    h.server('250 Ok id1');
    h.session.closed();
    await flush();
    expect(first.result).toMatchObject({ ok: true, value: { messageId: 'id1' } });
    expect(second.result).toMatchObject({
      ok: false,
      error: { code: ErrorCodes.CONNECTION_CLOSED, outcome: 'not-sent' },
    });
  });

  test('a timeout running out with replies held hears them first: no timeout, the next state’s timer runs', async () => {
    const { h, first, second } = behindTheDot();
    h.clock.increment(DEFAULT_TIMEOUTS.dataTermination - 0.5);
    h.server('250 Ok id1'); // held until 0.5 ms after the dot's timeout
    h.clock.increment(0.5);
    await flush();
    expect(first.result).toMatchObject({ ok: true, value: { messageId: 'id1' } });
    expect(h.session.state).toBe('mail');
    h.clock.increment(DEFAULT_TIMEOUTS.command - 1);
    h.server('250 ok\n250 ok\n354 go');
    h.session.bodyFinished();
    h.server('250 Ok id2');
    await flush();
    expect(second.result).toMatchObject({ ok: true, value: { messageId: 'id2' } });
  });

  test('a send hears them first: it is taken (the dot’s 250 made room), not refused as busy', async () => {
    const { h, first } = behindTheDot();
    h.server('250 Ok id1');
    const third = h.send({ to: ['d@example.org'] });
    await flush();
    expect(first.result).toMatchObject({ ok: true, value: { messageId: 'id1' } });
    expect(third.result).toBeUndefined();
    h.server('250 ok\n250 ok\n354 go');
    h.session.bodyFinished();
    expect(h.lastWrite).toBe('MAIL FROM:<a@example.com>\r\nRCPT TO:<d@example.org>\r\nDATA\r\n');
  });

  test('quit() and an abort hear them first', async () => {
    const quitting = behindTheDot();
    quitting.h.server('250 Ok id1');
    void quitting.h.session.quit();
    await flush();
    expect(quitting.first.result).toMatchObject({ ok: true, value: { messageId: 'id1' } });

    const h = new Harness({ coalesceReplies: true }).ready(PIPELINED);
    const controller = new AbortController();
    const first = h.send();
    const second = h.send({ to: ['c@example.org'] }, controller.signal);
    h.server('250 ok\n250 ok\n354 go');
    h.session.bodyFinished();
    h.server('250 Ok id1');
    controller.abort();
    await flush();
    expect(first.result).toMatchObject({ ok: true, value: { messageId: 'id1' } });
    expect(second.result).toMatchObject({ ok: false, error: { code: ErrorCodes.ABORTED } });
  });

  test('the dot’s 250 is not held when the written next was aborted: nothing it waits for will come', async () => {
    const h = new Harness({ coalesceReplies: true }).ready(PIPELINED);
    const controller = new AbortController();
    const first = h.send();
    const second = h.send({ to: ['c@example.org'] }, controller.signal);
    h.server('250 ok\n250 ok\n354 go');
    h.session.bodyFinished();
    controller.abort(); // its envelope is on the wire behind the dot: the session will close
    h.server('250 Ok id1');
    await flush(); // no time passes
    expect(first.result).toMatchObject({ ok: true, value: { messageId: 'id1' } });
    expect(second.result).toMatchObject({ ok: false, error: { code: ErrorCodes.ABORTED } });
  });

  test('a refusal or a 421 behind held replies: all taken at once, in order', async () => {
    const refused = behindTheDot();
    refused.h.server('250 Ok id1');
    refused.h.server('550 5.1.0 no'); // MAIL of message 2
    await flush();
    expect(refused.first.result).toMatchObject({ ok: true, value: { messageId: 'id1' } });
    expect(refused.h.session.state).toBe('rcpt'); // its RCPT and DATA replies are still owed
    const closing = behindTheDot();
    closing.h.server('250 Ok id1');
    closing.h.server('421 4.3.2 closing');
    await flush();
    expect(closing.first.result).toMatchObject({ ok: true, value: { messageId: 'id1' } });
    expect(closing.second.result).toMatchObject({ ok: false, error: { outcome: 'not-sent' } });
    expect(closing.h.closed).toBe(true);
  });

  test('coalesceReplies must be a boolean', () => {
    expect(() => new Harness({ coalesceReplies: 'yes' as unknown as boolean })).toThrow(
      expect.objectContaining({ code: ErrorCodes.INVALID_ARGUMENT, field: 'coalesceReplies' }),
    );
  });
});

describe('waitsForRest', () => {
  const reply = (code: number, ...lines: string[]): Reply => ({ code, lines: lines.length ? lines : ['ok'] });

  /** A bare machine with one send's envelope written (state `mail`), after this EHLO. */
  function contextAfterSend(ehlo: Reply, request: SendRequest): SessionContext {
    const actor = createActor(sessionMachine, {
      input: resolveConfig({ clientName: 'client.example', security: 'none', chunking: true }),
    });
    actor.start();
    actor.send({ type: 'connection.opened' });
    actor.send({ type: 'reply.received', reply: reply(220), trailing: false });
    actor.send({ type: 'reply.received', reply: ehlo, trailing: false });
    actor.send({ type: 'send.requested', id: 1, request });
    expect(actor.getSnapshot().value).toBe('mail');
    return actor.getSnapshot().context;
  }
  const request: SendRequest = { from: 'a@example.com', to: ['b@example.org'], body: 'x', ...KNOWN_SIZE };

  test('only positive replies in turn, short of the 354, on a pipelined DATA transaction', () => {
    const context = contextAfterSend(reply(250, 'mx.example', 'PIPELINING', 'SIZE 1000'), request);
    const r = [reply(250), reply(250), reply(354)] as const;
    expect(waitsForRest('mail', context, [r[0]], false)).toBe(true);
    expect(waitsForRest('mail', context, [r[0], r[1]], false)).toBe(true);
    expect(waitsForRest('mail', context, [r[0], r[1]], true)).toBe(true);
    expect(waitsForRest('mail', context, [...r], false)).toBe(false);
    expect(waitsForRest('mail', context, [reply(550)], false)).toBe(false);
    expect(waitsForRest('mail', context, [reply(250), reply(451)], false)).toBe(false);
    expect(waitsForRest('mail', context, [reply(421)], false)).toBe(false);
    expect(waitsForRest('mail', context, [...r, reply(250)], false)).toBe(false);
  });

  test('never in lock-step (no PIPELINING: SES) nor for BDAT', () => {
    const lockStep = contextAfterSend(reply(250, 'mx.example', 'SIZE 1000'), request);
    expect(waitsForRest('mail', lockStep, [reply(250)], false)).toBe(false);
    const bdat = contextAfterSend(reply(250, 'mx.example', 'PIPELINING', 'CHUNKING', 'SIZE 1000'), request);
    expect(waitsForRest('mail', bdat, [reply(250)], false)).toBe(false);
  });
});

/** How the server's replies are cut into reads, and the clock's advance after each. */
interface Split {
  readonly bytes: boolean;
  readonly gapMs: number;
}

/** What the owner or the transport does right after a given read (the replies may be held then). */
interface Interrupt {
  readonly afterRead: number;
  readonly kind: 'close' | 'quit' | 'drop' | 'timeout' | 'pause';
}

/**
 * A pipelining server that answers what was written, in order (250 to each command, 354 to DATA,
 * `250 Ok Qn` to each dot, 221 to QUIT), some replies swapped for another code, cut into reads of
 * the given sizes; the owner keeps every send it has waiting in the session (onSendable).
 */
async function dialogue(
  coalesceReplies: boolean,
  messages: number,
  readSizes: readonly number[],
  swaps: ReadonlyMap<number, number>,
  knownSize: boolean,
  interrupt?: Interrupt,
  split: Split = { bytes: false, gapMs: 0 },
) {
  const decoder = new TextDecoder();
  const outcomes: string[] = [];
  let queued = 0;
  const box: { h?: Harness } = {};
  const pull = () => {
    const session = box.h?.session;
    while (session !== undefined && queued < messages && session.acceptsSend) {
      const index = queued++;
      const request = { from: 'a@example.com', to: [`r${index}@example.org`], body: `m${index}` };
      session.send(knownSize ? { ...request, ...KNOWN_SIZE } : request).then(
        (result) => {
          outcomes[index] = `ok ${result.messageId} ${result.accepted.join()}`;
        },
        (error: { code: string; outcome: string }) => {
          outcomes[index] = `${error.code} ${error.outcome}`;
        },
      );
    }
  };
  const h = new Harness({ coalesceReplies, onSendable: pull, timeouts: { command: 60_000 } });
  box.h = h;
  h.ready(PIPELINED);
  /** What the server owes, as wire text, replies CRLF-terminated. */
  let owed = '';
  // From the effect after EHLO's write (ready() answered it).
  let seen = h.effects.findIndex((e) => e.type === 'write') + 1;
  let answered = 0;
  let dots = 0;
  let reads = 0;
  let quitting = false;
  const answer = (code: number, text: string) => {
    const swapped = swaps.get(answered++);
    owed += `${swapped ?? code} ${swapped === undefined ? text : 'swapped'}\r\n`;
  };
  for (let round = 0; round < 500 && !h.closed; round++) {
    if (!quitting) pull();
    const bodies: number[] = [];
    for (const effect of h.effects.slice(seen)) {
      if (effect.type === 'write') {
        for (const line of decoder.decode(effect.bytes).split('\r\n').filter(Boolean)) {
          if (line === 'DATA') answer(354, 'go ahead');
          else if (line === 'QUIT') answer(221, 'bye');
          else answer(250, 'ok');
        }
      } else if (effect.type === 'writeBody') {
        if (effect.inline) answer(250, `Ok Q${++dots}`);
        else bodies.push(++dots);
      }
    }
    seen = h.effects.length;
    if (bodies.length > 0) {
      for (const n of bodies) {
        h.session.bodyFinished();
        answer(250, `Ok Q${n}`);
      }
      continue;
    }
    if (owed.length > 0) {
      const size = readSizes[reads++ % readSizes.length] ?? 1;
      // `size` whole replies, or `size` × 5 octets cut anywhere (a reply over several reads).
      let cut = split.bytes ? size * 5 : 0;
      for (let n = 0; !split.bytes && n < size && cut < owed.length; n++) cut = owed.indexOf('\r\n', cut) + 2;
      h.session.receive(utf8.encode(owed.slice(0, cut)));
      owed = owed.slice(cut);
      h.clock.increment(split.gapMs);
      if (interrupt?.afterRead === reads) {
        if (interrupt.kind === 'close') h.session.closed();
        else if (interrupt.kind === 'quit') {
          quitting = true;
          void h.session.quit();
        } else if (interrupt.kind === 'drop') h.session.drop();
        else {
          // Past the command timeout, or just short of it. Held replies restart a state's timer up
          // to 1 ms later (as if the server had been that much slower), so a jump to exactly the
          // timeout could end either way; and a SimulatedClock runs what is due in a jump at the
          // jump's end, so the held replies' 1 ms goes first, on its own.
          h.clock.increment(1);
          h.clock.increment(interrupt.kind === 'timeout' ? 60_004 : 59_989);
        }
      }
      continue;
    }
    // Nothing owed: a held reply's 1 ms (for both sessions alike), then quit once.
    h.clock.increment(1);
    await flush();
    if (h.effects.length > seen) continue;
    if (quitting) break;
    quitting = true;
    void h.session.quit();
  }
  h.session.closed();
  await flush();
  return {
    outcomes,
    writes: h.writes.join(''),
    transcript: h.transcript.map((entry) => `${entry.direction} ${entry.text}`),
    messagesSent: h.session.messagesSent,
  };
}

describe('with or without coalesceReplies: the same dialogue, the same outcomes', () => {
  test.prop(
    [
      fc.integer({ min: 1, max: 6 }),
      fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 8 }),
      fc.array(fc.tuple(fc.nat(30), fc.constantFrom(250, 354, 421, 451, 550, 554)), { maxLength: 2 }),
      fc.boolean(),
      fc.option(
        fc.record({
          afterRead: fc.integer({ min: 1, max: 12 }),
          kind: fc.constantFrom('close', 'quit', 'drop', 'timeout', 'pause'),
        }),
        { nil: undefined },
      ),
      fc.record({ bytes: fc.boolean(), gapMs: fc.constantFrom(0, 0.4, 3) }),
    ],
    { numRuns: 400 },
  )(
    'for any split of the replies (at replies or anywhere, with time between reads), swapped reply, close, quit, drop, timeout or pause',
    async (messages, readSizes, swaps, knownSize, interrupt, split) => {
      const swapped = new Map(swaps);
      // A jump to just past or short of a timeout is compared without time between reads: there a
      // state's timer, restarted by held replies up to 1 ms later, could run out in one and not the other.
      const jumps = interrupt?.kind === 'timeout' || interrupt?.kind === 'pause';
      const cut = jumps ? { ...split, gapMs: 0 } : split;
      const plain = await dialogue(false, messages, readSizes, swapped, knownSize, interrupt, cut);
      const coalesced = await dialogue(true, messages, readSizes, swapped, knownSize, interrupt, cut);
      expect(coalesced).toEqual(plain);
      if (swaps.length === 0 && interrupt === undefined) expect(plain.messagesSent).toBe(messages);
    },
  );
});
