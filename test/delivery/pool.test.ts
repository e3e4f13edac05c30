import { describe, expect, it } from 'vitest';
import { attemptsOf } from '../../src/delivery/attempt-history.js';
import { createPool } from '../../src/delivery/pool.js';
import { ErrorCodes } from '../../src/errors/codes.js';
import { SmtpConnectionError, type SmtpError } from '../../src/errors/smtp-error.js';
import { flushPromises } from '../support/manual-clock.js';
import {
  type Behaviour,
  closedError,
  errorOf,
  FakeServer,
  fail,
  message,
  ofType,
  ok,
  replyError,
  SES_HOST,
  senderOf,
  sequence,
  setup,
  track,
} from './pool-fakes.js';

describe('queueing', () => {
  it('starts sends in arrival order on one connection', async () => {
    const { pool, server, clock } = setup(() => ok, { maxConnections: 1 });
    const sends = [1, 2, 3, 4, 5].map((n) => pool.send(message(n)));
    await clock.advanceAsync(0);
    await Promise.all(sends);
    expect(server.froms).toEqual([1, 2, 3, 4, 5].map(senderOf));
    expect(server.clients).toHaveLength(1);
  });

  it('fails a send beyond maxQueue with SMTP_QUEUE_FULL, not-sent, before anything is written', async () => {
    const { pool, server, clock } = setup(() => ({ kind: 'hang' }), { maxConnections: 1, maxQueue: 2 });
    const first = track(pool.send(message(1)));
    const queued = [track(pool.send(message(2))), track(pool.send(message(3)))];
    const error = await errorOf(pool.send(message(4)));
    expect(error.code).toBe(ErrorCodes.QUEUE_FULL);
    expect(error.outcome).toBe('not-sent');
    expect(attemptsOf(error)).toEqual([]);
    await clock.advanceAsync(0);
    expect(server.calls).toHaveLength(1);
    expect(pool.stats()).toMatchObject({ queued: 2, inFlight: 1, failed: 1 });
    expect([first, ...queued].every((r) => r.settled.length === 0)).toBe(true);
  });

  it('maxQueue 0 takes only what a free connection can start at once', async () => {
    const { pool } = setup(() => ({ kind: 'hang' }), { maxConnections: 2, maxQueue: 0 });
    track(pool.send(message(1)));
    track(pool.send(message(2)));
    expect((await errorOf(pool.send(message(3)))).code).toBe(ErrorCodes.QUEUE_FULL);
  });

  it('rejects invalid options and requests with SmtpUsageError naming the field', async () => {
    expect(() =>
      createPool({ host: 'h', maxConnections: 0, createClient: new FakeServer().factory }),
    ).toThrow(/maxConnections/);
    const { pool } = setup();
    const error = await errorOf(pool.send({ from: 'a@b.c', to: 5 as unknown as string[], message: 'x' }));
    expect(error).toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT, field: 'to' });
  });
});

describe('connection recycling', () => {
  it('replaces a connection after maxMessagesPerConnection messages', async () => {
    const { pool, server, clock, events } = setup(() => ok, {
      maxConnections: 1,
      maxMessagesPerConnection: 3,
    });
    for (let n = 1; n <= 7; n++) {
      const sending = pool.send(message(n));
      await clock.advanceAsync(0);
      await sending;
    }
    expect(server.clients.map((c) => c.transactions)).toEqual([3, 3, 1]);
    expect(server.clients.slice(0, 2).every((c) => c.closeCalls === 1)).toBe(true);
    expect(ofType(events, 'connection-recycled').map((e) => [e.connectionId, e.reason, e.messages])).toEqual([
      ['c1', 'max-messages', 3],
      ['c2', 'max-messages', 3],
    ]);
  });

  it('replaces a connection older than maxConnectionAgeMs before reusing it', async () => {
    const { pool, server, clock, events } = setup(() => ok, {
      maxConnections: 1,
      maxConnectionAgeMs: 60_000,
      idleTimeoutMs: 0,
    });
    await Promise.all([pool.send(message(1)), clock.advanceAsync(0)]);
    await clock.advanceAsync(59_999);
    await Promise.all([pool.send(message(2)), clock.advanceAsync(0)]);
    expect(server.clients).toHaveLength(1);
    await clock.advanceAsync(1);
    await Promise.all([pool.send(message(3)), clock.advanceAsync(0)]);
    expect(server.clients.map((c) => c.transactions)).toEqual([2, 1]);
    expect(ofType(events, 'connection-recycled')).toMatchObject([{ connectionId: 'c1', reason: 'max-age' }]);
  });

  it('closes a connection idle for idleTimeoutMs, and opens a new one for the next send', async () => {
    const { pool, server, clock, events } = setup(() => ok, { idleTimeoutMs: 5_000 });
    await Promise.all([pool.send(message(1)), clock.advanceAsync(0)]);
    await clock.advanceAsync(4_999);
    expect(server.clients[0]?.closeCalls).toBe(0);
    await clock.advanceAsync(1);
    expect(server.clients[0]?.closeCalls).toBe(1);
    expect(ofType(events, 'connection-closed')).toEqual([
      { type: 'connection-closed', connectionId: 'c1', reason: 'idle' },
    ]);
    expect(pool.stats().connections).toBe(0);
    await Promise.all([pool.send(message(2)), clock.advanceAsync(0)]);
    expect(server.clients).toHaveLength(2);
  });

  it('reuses the most recently used idle connection so spare ones idle out', async () => {
    const { pool, server, clock } = setup(() => ok, { maxConnections: 3 });
    await Promise.all([...[1, 2, 3].map((n) => pool.send(message(n))), clock.advanceAsync(0)]);
    expect(server.clients).toHaveLength(3);
    for (let n = 4; n <= 6; n++) {
      await clock.advanceAsync(1_000);
      await Promise.all([pool.send(message(n)), clock.advanceAsync(0)]);
    }
    await clock.advanceAsync(5_000);
    expect(server.clients.map((c) => c.transactions)).toEqual([1, 1, 4]);
    expect(pool.stats().connections).toBe(0);
  });
});

describe('stale connections and reconnect replies', () => {
  it('replaces a connection that died while idle and sends at once, without an error', async () => {
    const { pool, server, clock, events } = setup(sequence(ok, fail(closedError('not-sent', 'mail'))), {
      maxConnections: 1,
    });
    await Promise.all([pool.send(message(1)), clock.advanceAsync(0)]);
    const second = pool.send(message(2));
    await clock.advanceAsync(0);
    const result = await second;
    expect(result.accepted).toEqual(['r2@example.test']);
    expect(result.attempts.map((a) => [a.connectionId, a.delayBeforeMs, a.error?.code])).toEqual([
      ['c1', 0, ErrorCodes.CONNECTION_CLOSED],
      ['c2', 0, undefined],
    ]);
    expect(ofType(events, 'retry-scheduled')).toMatchObject([{ delayMs: 0, cause: 'reconnect' }]);
    expect(server.clients[0]?.closeCalls).toBe(1);
  });

  it("a custom client's idle close not marked retryable is still replaced at once (nothing was sent)", async () => {
    const idleClose = new SmtpConnectionError({
      code: ErrorCodes.CONNECTION_CLOSED,
      outcome: 'not-sent',
      phase: 'mail',
      retryable: false,
      message: 'connection closed',
    });
    const { pool, clock, events } = setup(sequence(ok, fail(idleClose)), { maxConnections: 1 });
    await Promise.all([pool.send(message(1)), clock.advanceAsync(0)]);
    const second = pool.send(message(2));
    await clock.advanceAsync(0);
    const result = await second;
    expect(result.attempts.map((a) => [a.connectionId, a.error?.code])).toEqual([
      ['c1', ErrorCodes.CONNECTION_CLOSED],
      ['c2', undefined],
    ]);
    expect(ofType(events, 'retry-scheduled')).toMatchObject([{ delayMs: 0, cause: 'reconnect' }]);
  });

  it('a close on a fresh connection is an ordinary retry, not a free reconnect', async () => {
    const { pool, clock, events } = setup(sequence(fail(closedError('not-sent', 'greeting'))), {
      host: SES_HOST,
    });
    const sending = track(pool.send(message(1)));
    await clock.advanceAsync(0);
    expect(ofType(events, 'retry-scheduled')).toMatchObject([{ delayMs: 5_000, cause: 'retry' }]);
    await clock.advanceAsync(5_000);
    expect(sending.settled).toMatchObject([{ ok: true }]);
  });

  it.each([
    [421, 'Connection closed by server. Maximum message count per session reached.', 'mail'],
    [451, '4.4.2 Timeout waiting for data from client', 'mail'],
  ] as const)('SES %i "%s" is retried at once on a fresh connection', async (code, text, phase) => {
    const { pool, server, clock, events } = setup(sequence(ok, fail(replyError(code, text, phase))), {
      host: SES_HOST,
      maxConnections: 1,
    });
    await Promise.all([pool.send(message(1)), clock.advanceAsync(0)]);
    const second = pool.send(message(2));
    await clock.advanceAsync(0);
    const result = await second;
    expect(result.attempts.map((a) => a.connectionId)).toEqual(['c1', 'c2']);
    expect(server.clients[1]?.transactions).toBe(1);
    expect(ofType(events, 'retry-scheduled')).toMatchObject([{ delayMs: 0, cause: 'reconnect' }]);
  });

  it('the fresh connection is new even when other idle connections exist', async () => {
    const { pool, server, clock } = setup(
      (call) => (call.index === 2 ? fail(closedError('not-sent', 'mail')) : ok),
      { maxConnections: 2 },
    );
    await Promise.all([pool.send(message(1)), pool.send(message(2)), clock.advanceAsync(0)]);
    const third = pool.send(message(3));
    await clock.advanceAsync(0);
    const result = await third;
    expect(result.attempts.map((a) => a.connectionId)).toEqual(['c2', 'c3']);
    expect(server.clients).toHaveLength(3);
    expect(server.peakAlive).toBeLessThanOrEqual(2);
  });

  it('free reconnects are bounded: a server that always says 421 session cap gets back-off', async () => {
    const { pool, clock, events } = setup(
      () => fail(replyError(421, 'Maximum message count per session reached.', 'mail')),
      { host: SES_HOST, retry: { delaysMs: [1_000], maxAttempts: 2 } },
    );
    const sending = track(pool.send(message(1)));
    await clock.advanceAsync(0);
    await clock.advanceAsync(1_000);
    await clock.advanceAsync(0);
    // One free reconnect per send (maxReconnects default 1), then the schedule, then maxAttempts.
    expect(ofType(events, 'retry-scheduled').map((e) => [e.cause, e.delayMs])).toEqual([
      ['reconnect', 0],
      ['retry', 1_000],
    ]);
    expect(sending.settled).toHaveLength(1);
    const [settled] = sending.settled;
    expect(settled?.ok).toBe(false);
    if (settled?.ok === false) expect(attemptsOf(settled.error)).toHaveLength(3);
  });

  it('maxReconnects: 0 is taken and turns the free reconnect off: a 421 session cap gets back-off at once', async () => {
    const { pool, clock, events } = setup(
      () => fail(replyError(421, 'Maximum message count per session reached.', 'mail')),
      { host: SES_HOST, maxReconnects: 0, retry: { delaysMs: [1_000], maxAttempts: 2 } },
    );
    const sending = track(pool.send(message(1)));
    await clock.advanceAsync(0);
    await clock.advanceAsync(1_000);
    await clock.advanceAsync(0);
    expect(ofType(events, 'retry-scheduled').map((e) => [e.cause, e.delayMs])).toEqual([['retry', 1_000]]);
    const [settled] = sending.settled;
    expect(settled?.ok).toBe(false);
    if (settled?.ok === false) expect(attemptsOf(settled.error)).toHaveLength(2);
  });
});

describe('5xx, unknown outcomes and at-least-once', () => {
  it('a custom client that resolves with no recipient accepted: the send fails ALL_RECIPIENTS_REJECTED, never resolves with nobody', async () => {
    // createClient rejects such a transaction itself; a custom factory's client may resolve it.
    const refused = { code: 550, lines: ['5.1.1 no such user'] };
    const pool = createPool({
      host: 'mail.example.test',
      createClient: () => ({
        send: async (request) => ({
          accepted: [],
          rejected: request.to.map((recipient) => ({ recipient, reply: refused })),
          reply: { code: 250, lines: ['2.0.0 Ok'] },
        }),
        close: async () => {},
      }),
    });
    const error = await errorOf(pool.send(message(1)));
    await pool.close();
    expect(error).toMatchObject({
      code: ErrorCodes.ALL_RECIPIENTS_REJECTED,
      outcome: 'rejected',
      retryable: false,
      rejectedRecipients: [{ recipient: 'r1@example.test', reply: refused }],
    });
    expect(attemptsOf(error)).toHaveLength(1);
  });

  it.each([
    [550, '5.1.1 mailbox unavailable', 'rcpt'],
    [554, 'Message rejected: Email address is not verified.', 'data-end'],
    [552, 'Message is too long.', 'data-end'],
    [535, 'Authentication Credentials Invalid', 'auth'],
  ] as const)('%i is never retried', async (code, text, phase) => {
    const { pool, server, clock, events } = setup(() => fail(replyError(code, text, phase)), {
      host: SES_HOST,
    });
    const error = errorOf(pool.send(message(1)));
    await clock.advanceAsync(3_600_000);
    expect((await error).reply?.code).toBe(code);
    expect(server.calls).toHaveLength(1);
    expect(ofType(events, 'retry-scheduled')).toEqual([]);
    expect(attemptsOf(await error)).toHaveLength(1);
  });

  it("an 'unknown' outcome is not retried by default", async () => {
    const { pool, server, clock } = setup(() => fail(closedError('unknown', 'data-end')));
    const error = errorOf(pool.send(message(1)));
    await clock.advanceAsync(3_600_000);
    expect((await error).outcome).toBe('unknown');
    expect(server.calls).toHaveLength(1);
    expect(pool.stats().unknown).toBe(1);
  });

  it("atLeastOnce retries an 'unknown' outcome and says the message may be duplicated", async () => {
    const { pool, server, clock } = setup(sequence(fail(closedError('unknown', 'data-end'))), {
      host: SES_HOST,
      atLeastOnce: true,
    });
    const sending = track(pool.send(message(1)));
    await clock.advanceAsync(5_000);
    expect(server.calls).toHaveLength(2);
    expect(sending.settled).toMatchObject([{ ok: true, value: { mayDuplicate: true } }]);
  });

  it('a later failure after an unknown outcome is reported as unknown, with the real error as cause', async () => {
    const { pool, clock } = setup(
      sequence(fail(closedError('unknown', 'data-end')), fail(replyError(550, 'no such user', 'rcpt'))),
      { host: SES_HOST, atLeastOnce: true },
    );
    const error = errorOf(pool.send(message(1)));
    await clock.advanceAsync(5_000);
    expect((await error).outcome).toBe('unknown');
    expect((await error).reply?.code).toBe(550);
    expect(((await error).cause as SmtpError).outcome).toBe('rejected');
    expect(attemptsOf(await error)).toHaveLength(2);
    const { pool: pool2, clock: clock2 } = setup(
      sequence(
        fail(closedError('unknown', 'data-end')),
        fail(replyError(451, 'Temporary service failure', 'data-end')),
      ),
      { host: SES_HOST, atLeastOnce: true, retry: { delaysMs: [1_000], maxAttempts: 2 } },
    );
    const error2 = errorOf(pool2.send(message(1)));
    await clock2.advanceAsync(1_000);
    expect((await error2).outcome).toBe('unknown');
    expect((await error2).code).toBe(ErrorCodes.TRANSIENT_FAILURE);
  });
});

describe('per-recipient retry', () => {
  it('retries 452 recipients in a new transaction and reports 550 ones', async () => {
    const to = ['a@x.test', 'b@x.test', 'c@x.test'];
    const { pool, server, clock, events } = setup(
      sequence({
        kind: 'ok',
        rejected: [
          { recipient: 'b@x.test', code: 452, text: '4.5.3 Too many recipients' },
          { recipient: 'c@x.test', code: 550, text: '5.1.1 No such user' },
        ],
      }),
      { host: SES_HOST },
    );
    const sending = track(pool.send({ ...message(1), to }));
    await clock.advanceAsync(0);
    expect(ofType(events, 'retry-scheduled')).toMatchObject([{ cause: 'recipients', delayMs: 5_000 }]);
    expect(ofType(events, 'message-deferred')).toMatchObject([{ recipients: ['b@x.test'] }]);
    await clock.advanceAsync(5_000);
    expect(server.calls.map((c) => c.request.to)).toEqual([to, ['b@x.test']]);
    const [settled] = sending.settled;
    expect(settled?.ok).toBe(true);
    if (!settled?.ok) return;
    expect(settled.value.accepted).toEqual(['a@x.test', 'b@x.test']);
    expect(settled.value.rejected).toMatchObject([
      { recipient: 'c@x.test', outcome: 'rejected', reply: { code: 550 } },
    ]);
    // messageId and reply come from the same transaction (the last that delivered).
    expect(settled.value.messageId).toBe('id-2');
    expect(settled.value.reply.lines).toEqual(['Ok id-2']);
    expect(settled.value.attempts.map((a) => [a.recipients, a.accepted, a.messageId])).toEqual([
      [to, ['a@x.test'], 'id-1'],
      [['b@x.test'], ['b@x.test'], 'id-2'],
    ]);
  });

  it('a 552 "too many recipients" at RCPT goes again like a 452 (RFC 5321 §4.5.3.1.10); a 552 mailbox full does not', async () => {
    const to = ['a@x.test', 'b@x.test', 'c@x.test'];
    const { pool, server, clock } = setup(
      sequence({
        kind: 'ok',
        rejected: [
          { recipient: 'b@x.test', code: 552, text: '5.5.3 Too many recipients' },
          { recipient: 'c@x.test', code: 552, text: '5.2.2 Mailbox full' },
        ],
      }),
      { host: SES_HOST },
    );
    const sending = track(pool.send({ ...message(1), to }));
    await clock.advanceAsync(0);
    await clock.advanceAsync(5_000);
    expect(server.calls.map((c) => c.request.to)).toEqual([to, ['b@x.test']]);
    const [settled] = sending.settled;
    expect(settled).toMatchObject({ ok: true, value: { accepted: ['a@x.test', 'b@x.test'] } });
    if (settled?.ok) expect(settled.value.rejected.map((r) => r.recipient)).toEqual(['c@x.test']);
  });

  it('when every recipient is refused, the 4xx ones go again and the 5xx ones are reported', async () => {
    const to = ['a@x.test', 'b@x.test'];
    const { pool, server, clock } = setup(
      sequence({
        kind: 'ok',
        rejected: [
          { recipient: 'a@x.test', code: 452, text: '4.5.3 Too many recipients' },
          { recipient: 'b@x.test', code: 550, text: '5.1.1 No such user' },
        ],
      }),
      { host: SES_HOST },
    );
    const sending = track(pool.send({ ...message(1), to }));
    await clock.advanceAsync(5_000);
    expect(server.calls.map((c) => c.request.to)).toEqual([to, ['a@x.test']]);
    expect(sending.settled).toMatchObject([
      {
        ok: true,
        value: { accepted: ['a@x.test'], rejected: [{ recipient: 'b@x.test', outcome: 'rejected' }] },
      },
    ]);
  });

  it('when every recipient is refused with 5xx, nothing is retried', async () => {
    const { pool, server, clock } = setup(
      () => ({ kind: 'ok', rejected: [{ recipient: 'r1@example.test', code: 550, text: 'no such user' }] }),
      { host: SES_HOST },
    );
    const error = errorOf(pool.send(message(1)));
    await clock.advanceAsync(60_000);
    expect(await error).toMatchObject({ code: ErrorCodes.ALL_RECIPIENTS_REJECTED, outcome: 'rejected' });
    expect(server.calls).toHaveLength(1);
  });

  it('reports 4xx recipients as not-sent when retries run out, and still resolves', async () => {
    const deferB: Behaviour = {
      kind: 'ok',
      rejected: [{ recipient: 'b@x.test', code: 451, text: 'try later' }],
    };
    const { pool, clock } = setup(
      (call) => (call.index === 0 ? deferB : fail(replyError(451, 'try later', 'rcpt'))),
      { retry: { delaysMs: [10], maxAttempts: 2 } },
    );
    const sending = track(pool.send({ ...message(1), to: ['a@x.test', 'b@x.test'] }));
    await clock.advanceAsync(10);
    expect(sending.settled).toMatchObject([
      {
        ok: true,
        value: { accepted: ['a@x.test'], rejected: [{ recipient: 'b@x.test', outcome: 'not-sent' }] },
      },
    ]);
  });
});

describe('SES retry schedule', () => {
  it('waits exactly 5 s, 10 s, 30 s, 20 min and starts over, within one hour', async () => {
    const { pool, clock, events } = setup(
      () => fail(replyError(451, 'Temporary service failure', 'data-end')),
      {
        host: SES_HOST,
      },
    );
    const error = errorOf(pool.send(message(1)));
    await clock.advanceAsync(2 * 3_600_000);
    const delays = ofType(events, 'retry-scheduled').map((e) => e.delayMs);
    expect(delays).toEqual([
      5_000, 10_000, 30_000, 1_200_000, 5_000, 10_000, 30_000, 1_200_000, 5_000, 10_000, 30_000,
    ]);
    const attempts = attemptsOf(await error) ?? [];
    expect(attempts.map((a) => a.delayBeforeMs)).toEqual([0, ...delays]);
    expect(attempts.map((a) => a.startedAt)).toEqual([
      0, 5_000, 15_000, 45_000, 1_245_000, 1_250_000, 1_260_000, 1_290_000, 2_490_000, 2_495_000, 2_505_000,
      2_535_000,
    ]);
    expect((await error).code).toBe(ErrorCodes.TRANSIENT_FAILURE);
    expect(pool.stats().retriesByCause.retry).toBe(11);
  });

  it('uses generic jittered exponential back-off for other hosts', async () => {
    const { pool, clock, events } = setup(
      sequence(fail(replyError(451, 'later')), fail(replyError(451, 'later'))),
    );
    const sending = track(pool.send(message(1)));
    await clock.advanceAsync(10_000);
    // random() = 0.5: half of 1 s, then half of 2 s.
    expect(ofType(events, 'retry-scheduled').map((e) => e.delayMs)).toEqual([500, 1_000]);
    expect(sending.settled).toMatchObject([{ ok: true }]);
  });

  it('retry: false never retries', async () => {
    const { pool, server, clock } = setup(() => fail(replyError(451, 'later')), { retry: false });
    const error = errorOf(pool.send(message(1)));
    await clock.advanceAsync(60_000);
    expect((await error).code).toBe(ErrorCodes.TRANSIENT_FAILURE);
    expect(server.calls).toHaveLength(1);
  });
});

describe('abort and streams', () => {
  it('an aborted queued send leaves the queue with SMTP_ABORTED', async () => {
    const { pool, server, clock } = setup(() => ({ kind: 'hang' }), { maxConnections: 1 });
    track(pool.send(message(1)));
    const controller = new AbortController();
    const second = errorOf(pool.send({ ...message(2), signal: controller.signal }));
    controller.abort();
    expect((await second).code).toBe(ErrorCodes.ABORTED);
    expect(pool.stats().queued).toBe(0);
    await clock.advanceAsync(0);
    expect(server.calls).toHaveLength(1);
  });

  it('an abort in flight reaches the client and is not retried', async () => {
    const { pool, server, clock } = setup(() => ({ kind: 'hang' }));
    const controller = new AbortController();
    const error = errorOf(pool.send({ ...message(1), signal: controller.signal }));
    await clock.advanceAsync(0);
    controller.abort();
    expect((await error).code).toBe(ErrorCodes.ABORTED);
    await clock.advanceAsync(3_600_000);
    expect(server.calls).toHaveLength(1);
  });

  it('an aborted send waiting for its retry settles at once', async () => {
    const { pool, clock } = setup(() => fail(replyError(451, 'later')), { host: SES_HOST });
    const controller = new AbortController();
    const error = errorOf(pool.send({ ...message(1), signal: controller.signal }));
    await clock.advanceAsync(1_000);
    controller.abort();
    const e = await error;
    expect(e.code).toBe(ErrorCodes.ABORTED);
    expect(attemptsOf(e)).toHaveLength(1);
    expect(pool.stats().waitingRetry).toBe(0);
  });

  it('a stream body is not sent twice: a failure after it was read is final', async () => {
    const { pool, server, clock } = setup(
      (call) =>
        call.index === 0
          ? { kind: 'ok', rejected: [{ recipient: 'b@x.test', code: 452, text: 'later' }] }
          : ok,
      { host: SES_HOST },
    );
    async function* body() {
      yield 'Subject: s\r\n\r\nstreamed\r\n';
    }
    const sending = track(pool.send({ from: 'a@x.test', to: ['a@x.test', 'b@x.test'], message: body() }));
    await clock.advanceAsync(60_000);
    expect(server.calls).toHaveLength(1);
    expect(sending.settled).toMatchObject([
      {
        ok: true,
        value: { accepted: ['a@x.test'], rejected: [{ recipient: 'b@x.test', outcome: 'not-sent' }] },
      },
    ]);
  });

  it('a stream body not yet read may be retried', async () => {
    const { pool, server, clock } = setup(sequence(fail(replyError(451, 'later', 'mail'))), {
      host: SES_HOST,
    });
    async function* body() {
      yield 'Subject: s\r\n\r\nstreamed\r\n';
    }
    const sending = track(pool.send({ from: 'a@x.test', to: ['a@x.test'], message: body() }));
    await clock.advanceAsync(5_000);
    expect(server.calls).toHaveLength(2);
    expect(sending.settled).toMatchObject([{ ok: true }]);
  });
});

describe('close', () => {
  it('drains queued sends, then QUITs every connection; later sends fail CLIENT_CLOSED', async () => {
    const { pool, server, clock } = setup(() => ok, { maxConnections: 2 });
    const sends = [1, 2, 3, 4].map((n) => track(pool.send(message(n))));
    const closing = pool.close();
    expect((await errorOf(pool.send(message(5)))).code).toBe(ErrorCodes.CLIENT_CLOSED);
    await clock.advanceAsync(0);
    await closing;
    expect(sends.map((s) => s.settled.map((x) => x.ok))).toEqual([[true], [true], [true], [true]]);
    expect(server.clients.every((c) => c.closeCalls === 1)).toBe(true);
    expect(server.alive).toBe(0);
    expect(pool.close()).toBe(closing);
  });

  it('at the deadline: a send never started fails not-sent, a transaction past its dot unknown; connections dropped', async () => {
    const { pool, server, clock } = setup(
      (call) =>
        call.request.from === 's1@example.test'
          ? { kind: 'hang', outcome: 'unknown' }
          : fail(replyError(451, 'later')),
      { host: SES_HOST, maxConnections: 1 },
    );
    const hanging = track(pool.send(message(1)));
    const retrying = track(pool.send(message(2)));
    await clock.advanceAsync(0);
    let closed = false;
    void pool.close({ deadlineMs: 1_000 }).then(() => {
      closed = true;
    });
    await clock.advanceAsync(999);
    expect(closed).toBe(false);
    await clock.advanceAsync(1);
    await flushPromises();
    expect(closed).toBe(true);
    expect(hanging.settled).toMatchObject([
      { ok: false, error: { code: ErrorCodes.CLIENT_CLOSED, outcome: 'unknown' } },
    ]);
    expect(retrying.settled).toMatchObject([
      { ok: false, error: { code: ErrorCodes.CLIENT_CLOSED, outcome: 'not-sent' } },
    ]);
    expect(server.clients[0]?.destroyed).toBe(true);
    expect(server.calls).toHaveLength(1);
  });
});
