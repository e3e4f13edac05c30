/**
 * groupPlanFor (reply-group.ts) caches the last plan by what it was computed from: the event (or its
 * replies), the state it starts from, the context and `trailing`. The cache must never hand out a plan
 * computed from other inputs: asked again with any one of them changed, it plans afresh.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { createActor } from 'xstate';
import type { Reply } from '../../src/protocol/reply-types.js';
import { resolveConfig } from '../../src/session/config.js';
import type { SessionContext } from '../../src/session/machine-types.js';
import { groupPlanFor, releasePlans } from '../../src/session/reply-group.js';
import { sessionMachine } from '../../src/session/session-machine.js';

const reply = (code: number, ...lines: string[]): Reply => ({ code, lines: lines.length ? lines : ['ok'] });

/** The context in `mail` once a small send is written (pipelined when the server offers PIPELINING). */
function inMail(pipelining: boolean): SessionContext {
  const actor = createActor(sessionMachine, {
    input: resolveConfig({ clientName: 'client.example', security: 'none' }),
  });
  actor.start();
  actor.send({ type: 'connection.opened' });
  actor.send({ type: 'reply.received', reply: reply(220), trailing: false });
  const ehlo = pipelining ? reply(250, 'mx', 'PIPELINING') : reply(250, 'mx');
  actor.send({ type: 'reply.received', reply: ehlo, trailing: false });
  actor.send({
    type: 'send.requested',
    id: 1,
    request: { from: 'a@example.com', to: ['b@example.org'], body: 'x', size: 10 },
  });
  expect(actor.getSnapshot().value).toBe('mail');
  return actor.getSnapshot().context;
}

const ENVELOPE = [reply(250), reply(250), reply(354)];

describe('groupPlanFor plans afresh when any input changed', () => {
  afterEach(releasePlans);

  test('the same event from another context', () => {
    releasePlans();
    const event = { replies: ENVELOPE, trailing: false };
    expect(groupPlanFor(event, 'mail', inMail(true))?.end).toBe('dataEnd');
    // Lock-step: no group at all.
    expect(groupPlanFor(event, 'mail', inMail(false))).toBeUndefined();
  });

  test('the same event from another state', () => {
    releasePlans();
    const context = inMail(true);
    const event = { replies: ENVELOPE, trailing: false };
    expect(groupPlanFor(event, 'mail', context)?.end).toBe('dataEnd');
    expect(groupPlanFor(event, 'rcpt', context)).toBeUndefined();
  });

  test('the same replies with bytes behind them', () => {
    releasePlans();
    const context = inMail(true);
    expect(groupPlanFor({ replies: ENVELOPE, trailing: false }, 'mail', context)?.end).toBe('dataEnd');
    // The 354 must be the last thing in the read.
    expect(groupPlanFor({ replies: ENVELOPE, trailing: true }, 'mail', context)).toBeUndefined();
  });
});
