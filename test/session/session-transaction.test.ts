import { describe, expect, test } from 'vitest';
import { ErrorCodes } from '../../src/errors/codes.js';
import { SmtpUsageError } from '../../src/errors/smtp-error.js';
import { DEFAULT_TIMEOUTS } from '../../src/session/session.js';
import { flush, Harness } from './harness.js';

const LOCKSTEP = '250-mx.example\n250-8BITMIME\n250 SIZE 1000';
const PIPELINED = '250-mx.example\n250-PIPELINING\n250 SIZE 0';

/** Drives one accepted message through DATA up to the body (lock-step). */
function toBody(h: Harness, to = ['b@example.org']) {
  const sent = h.send({ to });
  h.server('250 ok');
  for (const _ of to) h.server('250 ok');
  h.server('354 go');
  return sent;
}

describe('Session transactions', () => {
  test('lock-step happy path: exact bytes written', async () => {
    const h = new Harness().ready(LOCKSTEP);
    const sent = h.send({ to: ['b@example.org', 'c@example.org'], size: 10, eightBit: false });
    h.server('250 2.1.0 ok').server('250 ok').server('251 forwarded').server('354 go');
    h.session.bodyFinished();
    h.server('250 2.0.0 Ok: queued as 4Bd2Xs1Ht9z');
    await flush();
    expect(h.writes).toEqual([
      'EHLO client.example\r\n',
      'MAIL FROM:<a@example.com> SIZE=10\r\n',
      'RCPT TO:<b@example.org>\r\n',
      'RCPT TO:<c@example.org>\r\n',
      'DATA\r\n',
    ]);
    expect(sent.result).toMatchObject({
      ok: true,
      value: { accepted: ['b@example.org', 'c@example.org'], messageId: '4Bd2Xs1Ht9z' },
    });
    expect(h.session.idle).toBe(true);
    expect(h.session.messagesSent).toBe(1);
  });

  test('pipelined happy path: MAIL, RCPTs and DATA in ONE write, replies matched in order', async () => {
    const h = new Harness().ready(PIPELINED);
    const sent = h.send({ to: ['b@example.org', 'c@example.org'], size: 42 });
    expect(h.writes.at(-1)).toBe(
      'MAIL FROM:<a@example.com> SIZE=42\r\nRCPT TO:<b@example.org>\r\nRCPT TO:<c@example.org>\r\nDATA\r\n',
    );
    h.server('250 ok\n550 5.1.1 no such user\n250 ok\n354 go');
    expect(h.effects.at(-1)?.type).toBe('writeBody');
    h.session.bodyFinished();
    h.server('250 Message queued as <id-1@mx>');
    await flush();
    expect(sent.result).toMatchObject({
      ok: true,
      value: { accepted: ['c@example.org'], messageId: 'id-1@mx' },
    });
    if (sent.result?.ok)
      expect(sent.result.value.rejected).toEqual([
        {
          recipient: 'b@example.org',
          reply: { code: 550, enhanced: { class: 5, subject: 1, detail: 1 }, lines: ['5.1.1 no such user'] },
        },
      ]);
  });

  test('pipelining: false keeps lock-step even when offered', () => {
    const h = new Harness({ pipelining: false }).ready(PIPELINED);
    h.send();
    expect(h.lastWrite).toBe('MAIL FROM:<a@example.com>\r\n');
  });

  test.each([
    ['5xx only → rejected', ['550 no', '553 bad'], 'rejected', false],
    ['a 4xx among them → not-sent, retryable', ['550 no', '452 full'], 'not-sent', true],
    // RFC 5321 §4.5.3.1.10: a 552 "too many recipients" at RCPT is RFC 821's mistake for 452.
    ['a 552 too many recipients → not-sent', ['550 no', '552 5.5.3 Too many recipients'], 'not-sent', true],
    ['552 with enhanced 5.5.3 alone', ['550 no', '552 5.5.3 limit'], 'not-sent', true],
    ['552 mailbox full stays permanent', ['550 no', '552 5.2.2 Mailbox full'], 'rejected', false],
  ])(
    'no recipient accepted (%s): no DATA, RSET, ALL_RECIPIENTS_REJECTED',
    async (_n, replies, outcome, retryable) => {
      const h = new Harness().ready(LOCKSTEP);
      const sent = h.send({ to: ['b@example.org', 'c@example.org'] });
      h.server('250 ok');
      for (const reply of replies) h.server(reply);
      expect(h.lastWrite).toBe('RSET\r\n');
      expect(sent.result).toBeUndefined(); // settled once RSET is answered, with the session ready again
      h.server('250 reset');
      await flush();
      expect(sent.result).toMatchObject({
        ok: false,
        error: { code: ErrorCodes.ALL_RECIPIENTS_REJECTED, outcome, retryable },
      });
      const error = (sent.result as { error: { rejectedRecipients: unknown } }).error;
      expect(error.rejectedRecipients).toEqual([
        {
          recipient: 'b@example.org',
          reply: expect.objectContaining({ code: Number(replies[0]?.slice(0, 3)) }),
        },
        {
          recipient: 'c@example.org',
          reply: expect.objectContaining({ code: Number(replies[1]?.slice(0, 3)) }),
        },
      ]);
      expect(h.writes.some((w) => w.includes('DATA'))).toBe(false);
      expect(h.session.idle).toBe(true);
    },
  );

  test('pipelined, none accepted, DATA refused → RSET, ALL_RECIPIENTS_REJECTED', async () => {
    const h = new Harness().ready(PIPELINED);
    const sent = h.send();
    h.server('250 ok\n550 no\n554 no valid recipients');
    expect(h.lastWrite).toBe('RSET\r\n');
    h.server('250 ok');
    await flush();
    expect(sent.result).toMatchObject({ ok: false, error: { code: ErrorCodes.ALL_RECIPIENTS_REJECTED } });
  });

  // RFC 2920 §3.1: "if the DATA command was accepted the client SMTP should send a single dot".
  test.each([
    ['every RCPT refused', '250 ok\n550 no\n354 go ahead anyway'],
    ['MAIL refused', '550 sender refused\n503 no sender\n354 go ahead anyway'],
  ])(
    'pipelined, %s, yet DATA got 354 → a single dot, not the body; the connection goes on',
    async (_, replies) => {
      const h = new Harness().ready(PIPELINED);
      const sent = h.send();
      const next = h.send();
      h.server(replies);
      await flush();
      expect(h.effects.some((e) => e.type === 'writeBody')).toBe(false);
      expect(h.lastWrite).toBe('.\r\n');
      expect(h.closed).toBe(false);
      h.server('554 5.5.1 no valid recipients');
      await flush();
      expect(sent.result).toMatchObject({ ok: false, error: { outcome: 'rejected' } });
      // The held next send goes out on the same connection, and is delivered.
      expect(h.writes.some((w) => w.startsWith('MAIL FROM:'))).toBe(true);
      h.server('250 ok\n250 ok\n354 go');
      h.session.bodyFinished();
      h.server('250 2.0.0 queued');
      await flush();
      expect(next.result).toMatchObject({ ok: true });
      expect(h.closed).toBe(false);
    },
  );

  test('the single dot after a 354 to a refused envelope: even a 250 to it does not deliver', async () => {
    const h = new Harness().ready(PIPELINED);
    const sent = h.send();
    h.server('250 ok\n550 no\n354 go ahead anyway');
    h.server('250 2.0.0 empty message taken');
    await flush();
    expect(sent.result).toMatchObject({ ok: false, error: { code: ErrorCodes.ALL_RECIPIENTS_REJECTED } });
    expect(h.session.idle).toBe(true);
  });

  test.each([
    ['the connection is lost', (h: Harness) => h.session.closed(new Error('reset'))],
    ['a 421 comes', (h: Harness) => h.server('421 4.3.2 shutting down')],
  ])('the single dot awaits its reply and %s: the refused send keeps its refusal', async (_, end) => {
    const h = new Harness().ready(PIPELINED);
    const sent = h.send();
    h.server('250 ok\n550 no\n354 go ahead anyway');
    end(h);
    await flush();
    expect(sent.result).toMatchObject({ ok: false, error: { code: ErrorCodes.ALL_RECIPIENTS_REJECTED } });
  });

  test('MAIL refused → SENDER_REJECTED after RSET', async () => {
    const h = new Harness().ready(LOCKSTEP);
    const sent = h.send();
    h.server('553 5.7.1 sender not allowed');
    expect(h.lastWrite).toBe('RSET\r\n');
    h.server('250 ok');
    await flush();
    expect(sent.result).toMatchObject({
      ok: false,
      error: { code: ErrorCodes.SENDER_REJECTED, outcome: 'rejected' },
    });
  });

  test('size pre-check: no MAIL written, MESSAGE_TOO_LARGE, still idle', async () => {
    const h = new Harness().ready(LOCKSTEP);
    const sent = h.send({ size: 1001 });
    await flush();
    expect(sent.result).toMatchObject({
      ok: false,
      error: { code: ErrorCodes.MESSAGE_TOO_LARGE, outcome: 'not-sent', retryable: false },
    });
    expect(h.writes).toHaveLength(1);
    expect(h.session.idle).toBe(true);
  });

  test('8-bit body without 8BITMIME and non-ASCII address without SMTPUTF8: refused before MAIL', async () => {
    const h = new Harness().ready('250-mx\n250 SIZE 0');
    const eight = h.send({ eightBit: true });
    await flush();
    const utf8 = h.send({ to: ['jörg@example.org'] });
    await flush();
    expect(eight.result).toMatchObject({ ok: false, error: { code: ErrorCodes.BODY_8BIT_NOT_SUPPORTED } });
    expect(utf8.result).toMatchObject({ ok: false, error: { code: ErrorCodes.NON_ASCII_WITHOUT_SMTPUTF8 } });
    expect(h.writes).toHaveLength(1);
  });

  test('non-ASCII sender without SMTPUTF8: the error names the field at fault, from (not to)', async () => {
    const h = new Harness().ready('250-mx\n250 SIZE 0');
    const sent = h.send({ from: 'jörg@example.com', to: ['b@example.org'] });
    await flush();
    expect(sent.result).toMatchObject({
      ok: false,
      error: { code: ErrorCodes.NON_ASCII_WITHOUT_SMTPUTF8, field: 'from' },
    });
    expect(h.writes).toHaveLength(1);
  });

  test('non-ASCII recipient without SMTPUTF8: the error names the first such recipient', async () => {
    const h = new Harness().ready('250-mx\n250 SIZE 0');
    const sent = h.send({
      from: 'a@example.com',
      to: ['b@example.org', 'jörg@example.org', 'ñ@example.org'],
    });
    await flush();
    expect(sent.result).toMatchObject({
      ok: false,
      error: { code: ErrorCodes.NON_ASCII_WITHOUT_SMTPUTF8, field: 'to[1]' },
    });
    expect(h.writes).toHaveLength(1);
  });

  test('SMTPUTF8 offered: MAIL carries SMTPUTF8', () => {
    const h = new Harness().ready('250-mx\n250-8BITMIME\n250 SMTPUTF8');
    h.send({ to: ['jörg@example.org'] });
    expect(h.lastWrite).toBe('MAIL FROM:<a@example.com> BODY=8BITMIME SMTPUTF8\r\n');
  });

  test('invalid address: send() rejects before anything is queued', async () => {
    const h = new Harness().ready(LOCKSTEP);
    await expect(
      h.session.send({ from: 'a@example.com', to: ['b@x\r\nRSET'], body: '' }),
    ).rejects.toBeInstanceOf(SmtpUsageError);
    await expect(h.session.send({ from: 'a@example.com', to: [], body: '' })).rejects.toMatchObject({
      code: ErrorCodes.NO_RECIPIENTS,
    });
    expect(h.writes).toHaveLength(1);
  });

  test('body.failed: no terminating dot, close, not-sent, session ended', async () => {
    const h = new Harness().ready(LOCKSTEP);
    const sent = toBody(h);
    h.session.bodyProgress();
    const bodyError = new SmtpUsageError({ code: ErrorCodes.BODY_NUL, field: 'body', message: 'body: NUL' });
    h.session.bodyFailed(bodyError);
    await flush();
    expect(sent.result).toEqual({ ok: false, error: bodyError });
    expect(h.closed).toBe(true);
    expect(h.session.ended).toBe(true);
  });

  test.each([
    ['greeting', (h: Harness) => h.session.connected(), DEFAULT_TIMEOUTS.greeting, 'greeting'],
    ['ehlo', (h: Harness) => h.connect(), DEFAULT_TIMEOUTS.command, 'ehlo'],
  ])('silent server in %s → SmtpTimeoutError with the phase, close', async (_n, drive, ms, phase) => {
    const h = new Harness();
    drive(h);
    h.clock.increment(ms - 1);
    expect(h.closed).toBe(false);
    h.clock.increment(1);
    await expect(h.session.whenReady).rejects.toMatchObject({ code: ErrorCodes.TIMEOUT, phase });
    expect(h.closed).toBe(true);
  });

  test.each([
    ['mail (command)', (h: Harness) => h.send(), 300_000, 'mail', 'not-sent'],
    [
      'data (dataStart)',
      (h: Harness) => {
        const s = h.send();
        h.server('250 ok').server('250 ok');
        return s;
      },
      120_000,
      'data',
      'not-sent',
    ],
    ['body (dataBlock)', (h: Harness) => toBody(h), 180_000, 'body', 'not-sent'],
    [
      'dataEnd (dataTermination)',
      (h: Harness) => {
        const s = toBody(h);
        h.session.bodyFinished();
        return s;
      },
      600_000,
      'data-end',
      'unknown',
    ],
  ])('timeout in %s → TIMEOUT, outcome %s', async (_n, drive, ms, phase, outcome) => {
    const h = new Harness().ready(LOCKSTEP);
    const sent = drive(h);
    h.clock.increment(ms - 1);
    expect(h.closed).toBe(false);
    h.clock.increment(1);
    await flush();
    expect(sent.result).toMatchObject({ ok: false, error: { code: ErrorCodes.TIMEOUT, phase, outcome } });
    expect(h.closed).toBe(true);
  });

  test('body.progress resets the dataBlock timer (custom timeouts)', async () => {
    const h = new Harness({ timeouts: { dataBlock: 1000 } }).ready(LOCKSTEP);
    const sent = toBody(h);
    for (let i = 0; i < 5; i++) {
      h.clock.increment(900);
      h.session.bodyProgress();
    }
    expect(h.closed).toBe(false);
    h.clock.increment(1000);
    await flush();
    expect(sent.result).toMatchObject({ ok: false, error: { code: ErrorCodes.TIMEOUT, phase: 'body' } });
  });

  test('connection closed after the dot → unknown; before it → not-sent', async () => {
    const after = new Harness().ready(LOCKSTEP);
    const a = toBody(after);
    after.session.bodyFinished();
    after.session.closed();
    const before = new Harness().ready(LOCKSTEP);
    const b = toBody(before);
    before.session.closed(new Error('ECONNRESET'));
    await flush();
    expect(a.result).toMatchObject({
      ok: false,
      error: { code: ErrorCodes.CONNECTION_CLOSED, outcome: 'unknown' },
    });
    expect(b.result).toMatchObject({
      ok: false,
      error: { code: ErrorCodes.CONNECTION_CLOSED, outcome: 'not-sent' },
    });
  });

  test('421 mid-transaction: no RSET, close, not-sent', async () => {
    const h = new Harness().ready(LOCKSTEP);
    const sent = h.send();
    h.server('250 ok').server('421 4.4.2 closing');
    await flush();
    expect(sent.result).toMatchObject({
      ok: false,
      error: { code: ErrorCodes.SERVICE_UNAVAILABLE, outcome: 'not-sent' },
    });
    expect(h.writes.some((w) => w.startsWith('RSET'))).toBe(false);
    expect(h.closed).toBe(true);
  });

  test('refusal of the dot → classified, settled at once without RSET (RFC 5321 §4.1.1.4), ready again', async () => {
    const h = new Harness().ready(LOCKSTEP);
    const sent = toBody(h);
    h.session.bodyFinished();
    h.server('554 Transaction failed: Recipient count exceeds 50.');
    await flush();
    expect(h.writes.some((w) => w.startsWith('RSET'))).toBe(false);
    expect(sent.result).toMatchObject({
      ok: false,
      error: { code: ErrorCodes.MESSAGE_REJECTED, outcome: 'rejected' },
    });
    expect(h.session.idle).toBe(true);
  });

  test('10 messages in one session', async () => {
    const h = new Harness().ready(PIPELINED);
    for (let i = 0; i < 10; i++) {
      const sent = h.send({ to: [`r${i}@example.org`] });
      h.server('250 ok\n250 ok\n354 go');
      h.session.bodyFinished();
      h.server(`250 Ok id${i}`);
      await flush();
      expect(sent.result).toMatchObject({ ok: true, value: { messageId: `id${i}` } });
    }
    expect(h.session.messagesSent).toBe(10);
    expect(h.writes.filter((w) => w.startsWith('RSET'))).toHaveLength(0);
  });

  test('one send at a time: a second send() while busy rejects without writing', async () => {
    const h = new Harness().ready(LOCKSTEP);
    h.send();
    const writes = h.writes.length;
    await expect(h.session.send({ from: '', to: ['b@example.org'], body: '' })).rejects.toMatchObject({
      code: ErrorCodes.SESSION_BUSY,
    });
    expect(h.writes).toHaveLength(writes);
  });

  test('a reply nobody asked for → REPLY_UNEXPECTED, close', async () => {
    const h = new Harness().ready(LOCKSTEP);
    h.server('250 surprise');
    expect(h.session.ended).toBe(true);
    expect(h.closed).toBe(true);
  });

  test('malformed reply → the parser error, close; never writes after close', async () => {
    const h = new Harness().ready(LOCKSTEP);
    const sent = h.send();
    h.server('25O broken');
    await flush();
    expect(sent.result).toMatchObject({ ok: false, error: { code: ErrorCodes.REPLY_MALFORMED } });
    h.server('250 ok');
    h.session.bodyFinished();
    expect(h.effectsAfterClose).toEqual([]);
  });
});
