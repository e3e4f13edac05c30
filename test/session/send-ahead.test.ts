/**
 * A send handed over ahead of a read's replies (session.ts #handOverAhead, reply-group.ts planSend):
 * when one read makes room for the next send (the dot's 250, the held next's MAIL/RCPT 250s and 354),
 * the owner's onSendable runs before that read's step, and the send it hands over rides in the same
 * machine step — one step per steady pipelined message (RFC 2920 §3.1) — with the effects, results,
 * aborts and refusals a send of its own would have had.
 */
import { afterEach, describe, expect, test, vi } from 'vitest';
import { SimulatedClock } from 'xstate';
import { ErrorCodes } from '../../src/errors/codes.js';
import { SendAhead } from '../../src/session/send-ahead.js';
import { Session } from '../../src/session/session.js';
import { sessionMachine } from '../../src/session/session-machine.js';
import type { SendRequest, SendResult, SessionEffect, TranscriptEntry } from '../../src/session/types.js';

const utf8 = new TextEncoder();
const wire = (lines: readonly string[]) => utf8.encode(lines.map((line) => `${line}\r\n`).join(''));
const EHLO = ['250-mx.example', '250-PIPELINING', '250-8BITMIME', '250 SIZE 100000'];

const request = (n: number, size = 10): SendRequest => ({
  from: 'a@example.com',
  to: [`b${n}@example.org`],
  size,
  body: `body ${n}`,
});

/**
 * A server that answers each tick's writes in one read on the next microtask (as one TCP read would
 * bring them), and an owner that hands over queued sends from onSendable, as createClient does.
 */
function pipelinedPeer(
  options: {
    onSendable?: (owner: Owner) => void;
    onWrite?: (text: string) => void;
    /** While true, replies go back at once, from inside the effect that wrote (not on a later microtask). */
    synchronous?: () => boolean;
    transcript?: TranscriptEntry[];
  } = {},
) {
  const written: string[] = [];
  let answer: string[] = [];
  let queued = 0;
  const owner: Owner = {
    queue: [],
    results: [],
    session: undefined as unknown as Session,
    feed() {
      while (owner.queue.length > 0 && owner.session.acceptsSend) {
        const next = owner.queue.shift()!;
        owner.results.push(owner.session.send(next.request, next.signal));
      }
    },
  };
  const flush = (): void => {
    const lines = answer;
    answer = [];
    owner.session.receive(wire(lines));
  };
  const reply = (...lines: string[]): void => {
    if (options.synchronous?.()) {
      owner.session.receive(wire(lines));
      return;
    }
    if (answer.length === 0) queueMicrotask(flush);
    answer.push(...lines);
  };
  owner.session = new Session(
    {
      clientName: 'client.example',
      security: 'none',
      clock: new SimulatedClock(),
      onSendable: () => (options.onSendable ? options.onSendable(owner) : owner.feed()),
      ...(options.transcript ? { onTranscript: (entry) => options.transcript?.push(entry) } : {}),
    },
    (effect: SessionEffect) => {
      if (effect.type === 'write') {
        const text = new TextDecoder().decode(effect.bytes);
        written.push(text);
        options.onWrite?.(text);
        for (const command of text.split('\r\n').filter(Boolean)) {
          if (command.startsWith('EHLO')) reply(...EHLO);
          else if (command === 'DATA') reply('354 go ahead');
          else if (command === 'QUIT') reply('221 bye');
          else reply('250 ok');
        }
      } else if (effect.type === 'writeBody' && effect.inline) {
        written.push('<body>');
        reply(`250 2.0.0 Ok: queued as Q${++queued}`);
      }
    },
  );
  owner.session.connected();
  owner.session.receive(wire(['220 mx.example ESMTP']));
  return { owner, written };
}

/** An onSendable that feeds, and the first time a third send has started does `act`, from inside it. */
function feedThenAtThirdSend(act: (owner: Owner) => void): (owner: Owner) => void {
  let done = false;
  return (o) => {
    o.feed();
    if (o.results.length === 3 && !done) {
      done = true;
      act(o);
    }
  };
}

/** A peer whose owner feeds from onSendable and quits from inside it once it has started a third send. */
function quitsAtThirdSend(options: { synchronousOnceQuit?: boolean } = {}) {
  let quitting: Promise<void> | undefined;
  const { owner } = pipelinedPeer({
    ...(options.synchronousOnceQuit ? { synchronous: () => quitting !== undefined } : {}),
    onSendable: feedThenAtThirdSend((o) => {
      quitting = o.session.quit();
    }),
  });
  return { owner, quitting: () => quitting };
}

interface Owner {
  queue: { request: SendRequest; signal?: AbortSignal }[];
  results: Promise<SendResult>[];
  session: Session;
  feed(): void;
}

const settle = (promises: readonly Promise<SendResult>[]) => Promise.allSettled(promises);

/** Lets the microtask-driven dialogue run until `done` (bounded: a stall fails instead of hanging). */
async function until(done: () => boolean): Promise<void> {
  for (let turn = 0; turn < 100_000 && !done(); turn++) await Promise.resolve();
  if (!done()) throw new Error('the dialogue stalled');
}

describe('a send handed over ahead of the replies that make room for it', () => {
  afterEach(() => vi.restoreAllMocks());

  test('steady pipelined sending takes one machine step per message, each send settled by its own reply', async () => {
    // Each machine step is one call of xstate's transition function (machine-runner.ts).
    const steps = vi.spyOn(sessionMachine, 'transition');
    const { owner } = pipelinedPeer();
    await owner.session.whenReady;
    steps.mockClear();
    for (let n = 1; n <= 50; n++) owner.queue.push({ request: request(n) });
    owner.feed();
    await until(() => owner.results.length === 50 && owner.queue.length === 0);
    const results = await Promise.all(owner.results);
    expect(results.map((result) => result.messageId)).toEqual(
      Array.from({ length: 50 }, (_, index) => `Q${index + 1}`),
    );
    expect(results.map((result) => result.accepted)).toEqual(
      Array.from({ length: 50 }, (_, index) => [`b${index + 1}@example.org`]),
    );
    // Two sends of their own (the first, then the one behind its dot) and the first read's step; then
    // one step per read, each settling a message and carrying the next send. Without the handing
    // over: two steps per message (the read's, and the send's).
    expect(steps.mock.calls.length).toBeGreaterThanOrEqual(50);
    expect(steps.mock.calls.length).toBeLessThanOrEqual(50 + 3);
    expect(owner.session.messagesSent).toBe(50);
  });

  test('the bytes are the ones sends of their own would write: the body, the dot, the next envelope in one flight', async () => {
    const { owner, written } = pipelinedPeer();
    await owner.session.whenReady;
    for (let n = 1; n <= 3; n++) owner.queue.push({ request: request(n) });
    owner.feed();
    await until(() => owner.results.length >= 3);
    await Promise.all(owner.results);
    expect(written.slice(1)).toEqual([
      'MAIL FROM:<a@example.com> SIZE=10 BODY=8BITMIME\r\nRCPT TO:<b1@example.org>\r\nDATA\r\n',
      '<body>',
      'MAIL FROM:<a@example.com> SIZE=10 BODY=8BITMIME\r\nRCPT TO:<b2@example.org>\r\nDATA\r\n',
      '<body>',
      'MAIL FROM:<a@example.com> SIZE=10 BODY=8BITMIME\r\nRCPT TO:<b3@example.org>\r\nDATA\r\n',
      '<body>',
    ]);
  });

  test('the transcript shows the replies before the commands of the send that rode with them', async () => {
    const transcript: TranscriptEntry[] = [];
    const { owner } = pipelinedPeer({ transcript });
    await owner.session.whenReady;
    for (let n = 1; n <= 3; n++) owner.queue.push({ request: request(n) });
    owner.feed();
    await until(() => owner.results.length >= 3);
    await Promise.all(owner.results);
    const lines = transcript.map((entry) => `${entry.direction === 'client' ? 'C' : 'S'}: ${entry.text}`);
    const mail = lines.indexOf('C: RCPT TO:<b3@example.org>') - 1;
    // Message 1's dot reply and message 2's envelope replies come in one read, logged before message 3's envelope.
    expect(lines.slice(mail - 4, mail + 3)).toEqual([
      'S: 250 2.0.0 Ok: queued as Q1',
      'S: 250 ok',
      'S: 250 ok',
      'S: 354 go ahead',
      'C: MAIL FROM:<a@example.com> SIZE=10 BODY=8BITMIME',
      'C: RCPT TO:<b3@example.org>',
      'C: DATA',
    ]);
  });

  test('a send over the server SIZE, handed over with a read, is refused before any byte of it; the next one goes', async () => {
    const { owner, written } = pipelinedPeer();
    await owner.session.whenReady;
    owner.queue.push({ request: request(1) }, { request: request(2) }, { request: request(3, 200_000) });
    owner.queue.push({ request: request(4) });
    owner.feed();
    await until(() => owner.results.length >= 4);
    const [one, two, three, four] = await settle(owner.results);
    expect(one?.status).toBe('fulfilled');
    expect(two?.status).toBe('fulfilled');
    expect(three?.status === 'rejected' && three.reason.code).toBe(ErrorCodes.MESSAGE_TOO_LARGE);
    expect(three?.status === 'rejected' && three.reason.outcome).toBe('not-sent');
    expect(four?.status === 'fulfilled' && four.value.accepted).toEqual(['b4@example.org']);
    expect(written.join('')).not.toContain('b3@example.org');
  });

  test('a send aborted by its owner right after handing it over settles as aborted, unwritten; the session goes on', async () => {
    const controller = new AbortController();
    let handedOnce = false;
    const { owner, written } = pipelinedPeer({
      onSendable: (o) => {
        const before = o.results.length;
        o.feed();
        // The first send handed over ahead of a read: abort it at once, inside onSendable.
        if (!handedOnce && o.results.length > before && o.queue.length === 1) {
          handedOnce = true;
          controller.abort();
        }
      },
    });
    await owner.session.whenReady;
    owner.queue.push(
      { request: request(1) },
      { request: request(2) },
      { request: request(3), signal: controller.signal },
      { request: request(4) },
    );
    owner.feed();
    await until(() => owner.results.length >= 3);
    const third = await owner.results[2]!.then(
      () => undefined,
      (error: unknown) => error,
    );
    // As a held next aborted before it is written (held-next-abort.test.ts): phase ready.
    expect(third).toMatchObject({ code: ErrorCodes.ABORTED, outcome: 'not-sent', phase: 'ready' });
    owner.feed();
    await until(() => owner.results.length >= 4);
    const results = await settle(owner.results);
    expect(results.map((result) => result.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
    expect(written.join('')).not.toContain('b3@example.org');
    expect(owner.session.messagesSent).toBe(3);
  });

  test('an owner that quits from inside onSendable: the read it was called for is taken first (its delivered message stays delivered)', async () => {
    const { owner, quitting } = quitsAtThirdSend();
    await owner.session.whenReady;
    for (let n = 1; n <= 4; n++) owner.queue.push({ request: request(n) });
    owner.feed();
    await until(() => quitting() !== undefined);
    await quitting();
    const [one, two, three] = await settle(owner.results);
    // Message 1's 250 was in the read that made room for message 3: it is delivered, not "unknown".
    expect(one?.status === 'fulfilled' && one.value.messageId).toBe('Q1');
    // Message 2 (written, its 354 answered, body on the wire) may have been delivered; 3 was never written.
    expect(two?.status === 'rejected' && two.reason).toMatchObject({ code: ErrorCodes.CLIENT_CLOSED });
    expect(three?.status === 'rejected' && three.reason).toMatchObject({ outcome: 'not-sent' });
    expect(owner.results).toHaveLength(3);
    expect(owner.session.ended).toBe(true);
  });

  test('an abort of the send in flight, from inside onSendable, comes after the read that delivered it: a no-op', async () => {
    const first = new AbortController();
    let aborted = false;
    const { owner } = pipelinedPeer({
      onSendable: feedThenAtThirdSend(() => {
        aborted = true;
        first.abort(); // message 1: its 250 is in the read being offered
      }),
    });
    await owner.session.whenReady;
    owner.queue.push({ request: request(1), signal: first.signal });
    for (let n = 2; n <= 4; n++) owner.queue.push({ request: request(n) });
    owner.feed();
    await until(() => owner.results.length === 4);
    const results = await Promise.all(owner.results);
    expect(aborted).toBe(true);
    expect(results.map((result) => result.messageId)).toEqual(['Q1', 'Q2', 'Q3', 'Q4']);
    expect(owner.session.ended).toBe(false);
  });

  test('a second send() inside the same onSendable is refused as busy; an owner that throws after handing one over loses nothing', async () => {
    let extra: Promise<SendResult> | undefined;
    const { owner } = pipelinedPeer({
      onSendable: feedThenAtThirdSend((o) => {
        extra = o.session.send(request(99));
        throw new Error('owner bug');
      }),
    });
    await owner.session.whenReady;
    for (let n = 1; n <= 4; n++) owner.queue.push({ request: request(n) });
    owner.feed();
    await until(() => owner.results.length === 4);
    await expect(extra).rejects.toMatchObject({ code: ErrorCodes.SESSION_BUSY });
    const results = await Promise.all(owner.results);
    expect(results.map((result) => result.messageId)).toEqual(['Q1', 'Q2', 'Q3', 'Q4']);
  });

  test('an abort of a handed-over send after its step (its envelope already behind the dot): aborted, not sent', async () => {
    const third = new AbortController();
    // Message 3 is handed over with the read that makes room for it (dot 1, MAIL/RCPT/354 of 2):
    // aborted as soon as that step writes its envelope, from inside the step's write.
    const { owner } = pipelinedPeer({
      onWrite: (text) => {
        if (text.includes('b3@example.org')) third.abort();
      },
    });
    await owner.session.whenReady;
    owner.queue.push({ request: request(1) }, { request: request(2) });
    owner.queue.push({ request: request(3), signal: third.signal });
    owner.feed();
    await until(() => owner.results.length === 3);
    const [one, two, three] = await settle(owner.results);
    expect(one?.status).toBe('fulfilled');
    expect(three?.status === 'rejected' && three.reason).toMatchObject({
      code: ErrorCodes.ABORTED,
      outcome: 'not-sent',
    });
    // Message 2's dot reply still comes in turn (delivered); then the aborted next's turn closes the session.
    expect(two?.status === 'fulfilled' && two.value.messageId).toBe('Q2');
    expect(owner.session.ended).toBe(true);
  });

  test('a send() after quit() inside onSendable does not overtake the quit: refused, never written', async () => {
    let after: Promise<SendResult> | undefined;
    const { owner, written } = pipelinedPeer({
      onSendable: (o) => {
        if (o.results.length === 2 && after === undefined) {
          void o.session.quit();
          after = o.session.send(request(3));
          return;
        }
        o.feed();
      },
    });
    await owner.session.whenReady;
    owner.queue.push({ request: request(1) }, { request: request(2) });
    owner.feed();
    await until(() => after !== undefined);
    await expect(after).rejects.toMatchObject({ code: ErrorCodes.SESSION_BUSY });
    const [one] = await settle(owner.results);
    expect(one?.status === 'fulfilled' && one.value.messageId).toBe('Q1');
    expect(written.join('')).not.toContain('b3@example.org');
    await until(() => owner.session.ended);
  });

  test('closed() inside onSendable: the read it was called for is taken first, then the loss', async () => {
    let lost = false;
    const { owner } = pipelinedPeer({
      onSendable: feedThenAtThirdSend((o) => {
        lost = true;
        o.session.closed(new Error('socket reset'));
      }),
    });
    await owner.session.whenReady;
    for (let n = 1; n <= 3; n++) owner.queue.push({ request: request(n) });
    owner.feed();
    await until(() => lost);
    const [one, two, three] = await settle(owner.results);
    expect(one?.status === 'fulfilled' && one.value.messageId).toBe('Q1');
    // Message 2's body and dot were on the wire: may have been delivered. Message 3 was only handed over.
    expect(two?.status === 'rejected' && two.reason).toMatchObject({ outcome: 'unknown' });
    expect(three?.status === 'rejected' && three.reason).toMatchObject({ outcome: 'not-sent' });
    expect(owner.session.ended).toBe(true);
  });

  test("a read that comes while the owner's events are held (a transport answering from inside the step) comes after them", async () => {
    // Once the owner has quit, the server answers at once, from inside the step's own writes.
    const { owner, quitting } = quitsAtThirdSend({ synchronousOnceQuit: true });
    await owner.session.whenReady;
    for (let n = 1; n <= 3; n++) owner.queue.push({ request: request(n) });
    owner.feed();
    await until(() => quitting() !== undefined && owner.session.ended);
    const settled = await settle(owner.results);
    // The quit was done before message 2's dot reply was read (inside the step that carried message
    // 3): that reply is not taken ahead of the quit, so message 2 may have been delivered.
    expect(settled.map((r) => (r.status === 'fulfilled' ? r.value.messageId : r.reason.code))).toEqual([
      'Q1',
      ErrorCodes.CLIENT_CLOSED,
      ErrorCodes.CLIENT_CLOSED,
    ]);
    expect(settled[1]?.status === 'rejected' && settled[1].reason.outcome).toBe('unknown');
  });

  test('an owner with nothing to send is asked once per read that makes room, not again after the step', async () => {
    let asked = 0;
    const { owner } = pipelinedPeer({
      onSendable: (o) => {
        asked++;
        o.feed();
      },
    });
    await owner.session.whenReady;
    owner.queue.push({ request: request(1) }, { request: request(2) });
    owner.feed();
    await until(() => owner.results.length === 2);
    asked = 0;
    await Promise.all(owner.results);
    // Message 1's dot reply and message 2's MAIL/RCPT/354 in one read: asked before that step (nothing
    // to give), and not again when the step leaves the session accepting, nor when message 2 ends
    // (the session has accepted a send all along since).
    expect(asked).toBe(1);
  });
});

describe("SendAhead (the facade's hand-over state)", () => {
  const handed = (id: number) => ({ id, request: request(id) });

  test('keeps one send and holds events only while the callback runs; accepts reflects it', () => {
    const ahead = new SendAhead();
    expect(ahead.accepts).toBeUndefined();
    expect(ahead.keep(handed(1))).toBe(false);
    expect(ahead.hold({ type: 'quit.requested' })).toBe(false);
    const seen: (boolean | undefined)[] = [];
    const kept = ahead.run(() => {
      seen.push(ahead.accepts);
      expect(ahead.keep(handed(2))).toBe(true);
      seen.push(ahead.accepts);
      expect(ahead.hold({ type: 'send.aborted', id: 7 })).toBe(true);
      expect(ahead.hold({ type: 'quit.requested' })).toBe(true);
    });
    expect(seen).toEqual([true, false]);
    expect(kept).toEqual(handed(2));
    expect(ahead.accepts).toBeUndefined();
    expect(ahead.drain()).toEqual({
      send: undefined,
      events: [{ type: 'send.aborted', id: 7 }, { type: 'quit.requested' }],
    });
    expect(ahead.drain().events).toEqual([]);
  });

  test('an owner that throws still gets its kept send carried; a dropped send is gone; a put-back send drains once', () => {
    const ahead = new SendAhead();
    expect(
      ahead.run(() => {
        ahead.keep(handed(1));
        throw new Error('owner bug');
      }),
    ).toEqual(handed(1));
    expect(
      ahead.run(() => {
        ahead.keep(handed(2));
        expect(ahead.drop(3)).toBe(false);
        expect(ahead.drop(2)).toBe(true);
      }),
    ).toBeUndefined();
    ahead.putBack(handed(4));
    expect(ahead.accepts).toBe(false);
    expect(ahead.drain().send).toEqual(handed(4));
    expect(ahead.drain().send).toBeUndefined();
    ahead.putBack(handed(5));
    ahead.clear();
    expect(ahead.drain()).toEqual({ send: undefined, events: [] });
  });
});
