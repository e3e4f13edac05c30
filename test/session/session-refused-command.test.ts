/**
 * A command the encoder refuses mid-session (it throws before any byte of it is written) ends the
 * session with the encoder's usage error, and a send whose dot is already out is 'unknown', not
 * 'not-sent'. Session.send() keeps its own frozen copy of a plain request, so a caller changing
 * theirs afterwards cannot get such a command through (a body riding a refused envelope would be
 * read as commands).
 */
import { describe, expect, test } from 'vitest';
import { createActor } from 'xstate';
import { GENERIC_PROFILE } from '../../src/errors/classify.js';
import { SmtpUsageError } from '../../src/errors/smtp-error.js';
import type { MachineEffect, SessionConfig } from '../../src/session/machine-setup.js';
import { sessionMachine } from '../../src/session/session-machine.js';
import { DEFAULT_TIMEOUTS } from '../../src/session/timeouts.js';
import { flush, Harness } from './harness.js';

const CHUNKING = '250-mx.example\n250-PIPELINING\n250-CHUNKING\n250-8BITMIME\n250 SIZE 100000';

describe('a request changed after send()', () => {
  test('BDAT: the held next goes as it was sent (its own copy), body behind its own envelope', async () => {
    const h = new Harness().ready(CHUNKING);
    h.send({ unstuffedSize: 4, size: 4 });
    const next = { from: 'x@example.com', to: ['y@example.org'], body: 'B', unstuffedSize: 3, size: 3 };
    const b = h.send(next);
    (next.to as string[])[0] = 'bad\r\n@example.org';
    h.server('250 ok\n250 ok\n250 ok');
    await flush();
    expect(h.writes.at(-1)).toBe(
      'MAIL FROM:<x@example.com> SIZE=3 BODY=8BITMIME\r\nRCPT TO:<y@example.org>\r\nBDAT 3 LAST\r\n',
    );
    expect(b.result).toBeUndefined();
  });
});

describe('a command refused by the encoder mid-step (machine level: send() leaves none to refuse)', () => {
  const input: SessionConfig = {
    clientName: 'client.example',
    security: 'none',
    credentials: undefined,
    maxMessageSize: 100_000,
    timeouts: DEFAULT_TIMEOUTS,
    pipelining: true,
    chunking: false,
    allowAuthWithoutTls: false,
    profile: GENERIC_PROFILE,
    hmacMd5: undefined,
  };
  const reply = (code: number, ...lines: string[]) =>
    ({
      type: 'reply.received',
      reply: { code, lines: lines.length ? lines : ['ok'] },
      trailing: false,
    }) as const;
  const refused = new SmtpUsageError({
    code: 'SMTP_CONTROL_CHARACTER',
    field: 'to',
    message: 'to: control character',
  });

  test.each([
    ['its dot is out (inline body written): unknown', [reply(250), reply(250), reply(354)], 'unknown'],
    ['only its envelope is out: not-sent', [reply(250)], 'not-sent'],
  ])('the send in flight when %s', (_name, replies, outcome) => {
    const effects: MachineEffect[] = [];
    const actor = createActor(sessionMachine, { input });
    actor.on('*', (effect) => effects.push(effect));
    actor.start();
    for (const event of [{ type: 'connection.opened' } as const, reply(220), reply(250, 'mx', 'PIPELINING')])
      actor.send(event);
    actor.send({
      type: 'send.requested',
      id: 1,
      request: { from: 'a@example.com', to: ['b@example.org'], body: 'x', size: 4 },
    });
    for (const event of replies) actor.send(event);
    actor.send({ type: 'command.refused', error: refused });
    const settled = effects.find((e) => e.type === 'settle' && e.id === 1);
    expect(settled).toMatchObject({
      settlement: { ok: false, error: { code: 'SMTP_CONTROL_CHARACTER', outcome } },
    });
    expect(String(actor.getSnapshot().value)).toBe('failed');
  });

  test('before the dot the encoder’s own usage error settles the send (local, not a protocol error)', () => {
    const effects: MachineEffect[] = [];
    const actor = createActor(sessionMachine, { input });
    actor.on('*', (effect) => effects.push(effect));
    actor.start();
    for (const event of [{ type: 'connection.opened' } as const, reply(220), reply(250, 'mx', 'PIPELINING')])
      actor.send(event);
    actor.send({
      type: 'send.requested',
      id: 1,
      request: { from: 'a@example.com', to: ['b@example.org'], body: 'x' },
    });
    actor.send({ type: 'command.refused', error: refused });
    const settled = effects.find((e) => e.type === 'settle' && e.id === 1);
    expect(settled).toMatchObject({ settlement: { ok: false, error: refused } });
    expect((settled as { settlement: { error: unknown } }).settlement.error).toBe(refused);
  });
});
