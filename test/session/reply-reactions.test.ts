/**
 * spec/reply-reactions.json holds the machine to a table: every reply code 200–599 (and malformed
 * input) in every waiting state must lead to the listed state and send outcome.
 */
import { readFileSync } from 'node:fs';
import { fc, test } from '@fast-check/vitest';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { flush, Harness, type Settled } from './harness.js';

interface Reaction {
  reply: string;
  next: string;
  /** QUIT is written before the close (RFC 5321 §4.1.1.10). */
  quit?: boolean;
  send: string;
}
interface Row {
  state: string;
  reach: string;
  reactions: Reaction[];
}
const table: { states: Row[] } = JSON.parse(
  readFileSync(new URL('../../spec/reply-reactions.json', import.meta.url), 'utf8'),
);

const LOCKSTEP = '250-mx.example\n250 8BITMIME';
const PIPELINED = '250-mx.example\n250 PIPELINING';
const AUTH = { user: 'user', pass: 'pass' };
const CHUNKED = '250-mx.example\n250-PIPELINING\n250 CHUNKING';

/** Drives a fresh session into the row's state; returns the harness and the send in flight, if any. */
const REACH: Record<string, () => { h: Harness; sent?: { readonly result: Settled } }> = {
  greeting: () => {
    const h = new Harness();
    h.session.connected();
    return { h };
  },
  ehlo: () => ({ h: new Harness().connect() }),
  ehloTlsRequired: () => ({ h: new Harness({ security: 'starttls' }).connect() }),
  ehloImplicitTls: () => ({ h: new Harness({ security: 'implicit' }).connect() }),
  helo: () => ({ h: new Harness().connect().server('500 what') }),
  starttls: () => ({ h: new Harness({ security: 'starttls' }).connect().server('250-mx\n250 STARTTLS') }),
  starttlsOpportunistic: () => ({
    h: new Harness({ security: 'starttls-opportunistic' }).connect().server('250-mx\n250 STARTTLS'),
  }),
  starttlsOpportunisticAuth: () => ({
    h: new Harness({ security: 'starttls-opportunistic', auth: AUTH })
      .connect()
      .server('250-mx\n250-AUTH PLAIN\n250 STARTTLS'),
  }),
  tlsHandshake: () => ({ h: REACH.starttls!().h.server('220 go') }),
  ehloAfterTls: () => {
    const { h } = REACH.tlsHandshake!();
    h.session.tlsEstablished();
    return { h };
  },
  auth: () => ({
    h: new Harness({ security: 'implicit', auth: AUTH }).connect().server('250-mx\n250 AUTH PLAIN'),
  }),
  ready: () => ({ h: new Harness().ready(LOCKSTEP) }),
  mail: () => {
    const h = new Harness().ready(LOCKSTEP);
    return { h, sent: h.send() };
  },
  mailPipelined: () => {
    const h = new Harness().ready(PIPELINED);
    return { h, sent: h.send() };
  },
  rcpt: () => step(REACH.mail!(), '250 ok'),
  data: () => step(REACH.rcpt!(), '250 ok'),
  body: () => step(REACH.data!(), '354 go'),
  dataRefusedEnvelope: () => step(REACH.mailPipelined!(), '250 ok\n550 5.1.1 no such user'),
  loneDot: () => step(REACH.dataRefusedEnvelope!(), '354 go ahead anyway'),
  dataEnd: () => {
    const reached = REACH.body!();
    reached.h.session.bodyFinished();
    return reached;
  },
  dataEndNext: () => {
    const reached = step(REACH.mailPipelined!(), '250 ok\n250 ok\n354 go');
    reached.h.session.send({ from: 'a@example.com', to: ['c@example.org'], body: 'NEXT' }).catch(() => {});
    reached.h.session.bodyFinished();
    return reached;
  },
  bdat: () => {
    const h = new Harness().ready(CHUNKED);
    const sent = h.send();
    h.server('250 ok\n250 ok');
    h.session.bodyChunk(10, false);
    return { h, sent };
  },
  bdatEnd: () => {
    const reached = REACH.mailChunked!();
    reached.h.server('250 ok\n250 ok');
    return reached;
  },
  mailChunked: () => {
    const h = new Harness().ready(CHUNKED);
    const sent = h.send({ size: 8, unstuffedSize: 5 });
    h.session.bodyFinished();
    return { h, sent };
  },
  rset: () => step(REACH.mail!(), '550 5.7.1 no'),
  quit: () => {
    const h = new Harness().ready(LOCKSTEP);
    void h.session.quit();
    return { h };
  },
};

function step<T extends { h: Harness }>(reached: T, reply: string): T {
  reached.h.server(reply);
  return reached;
}

const MALFORMED = ['2x0 bad', '99 short', 'hello there', '250-a\r\n251 b', '600 out of range'];

/** RFC 5321 §4.2: Reply-code = %x32-35 %x30-35 %x30-39; e.g. 260 is outside the grammar, i.e. malformed. */
const inGrammar = (code: number) => Math.trunc(code / 10) % 10 <= 5;

function expected(row: Row, input: number | 'malformed'): Reaction {
  const code = String(input);
  const klass = input === 'malformed' || !inGrammar(input) ? 'malformed' : `${code[0]}xx`;
  const reaction =
    row.reactions.find((r) => r.reply === code) ?? row.reactions.find((r) => r.reply === klass);
  if (!reaction) throw new Error(`spec/reply-reactions.json: no row for ${code} in ${row.reach}`);
  return reaction;
}

function sendStatus(sent: { readonly result: Settled } | undefined): string {
  if (sent === undefined) return 'none';
  if (sent.result === undefined) return 'pending';
  return sent.result.ok ? 'resolved' : `rejected:${sent.result.error.outcome}`;
}

async function check(row: Row, input: number | 'malformed', malformedIndex = 0): Promise<void> {
  const { h, sent } = REACH[row.reach]!();
  expect(h.session.state, `reach ${row.reach}`).toBe(row.state);
  const closedBefore = h.closed;
  const writesBefore = h.writes.length;
  if (input === 'malformed') h.session.receive(new TextEncoder().encode(`${MALFORMED[malformedIndex]}\r\n`));
  else h.server(`${input} x`);
  await flush();
  const reaction = expected(row, input);
  const where = `${row.reach} ← ${input}`;
  expect(h.session.state, where).toBe(reaction.next);
  expect(sendStatus(sent), where).toBe(reaction.send);
  const ended = reaction.next === 'closed' || reaction.next === 'failed';
  expect(h.closed, where).toBe(ended || closedBefore);
  const wroteQuit = h.writes.slice(writesBefore).includes('QUIT\r\n');
  expect(wroteQuit, `${where}: QUIT before the close`).toBe(reaction.quit === true);
  // Nothing is written after close, whatever else happens.
  h.server('250 more').server('354 go');
  h.session.bodyFinished();
  h.session.tlsEstablished();
  await h.session.quit();
  expect(h.effectsAfterClose, where).toEqual([]);
}

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
beforeAll(() => {
  process.on('unhandledRejection', onUnhandled);
});
afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
  expect(unhandled).toEqual([]);
});

describe('reply reactions (spec/reply-reactions.json)', () => {
  test.prop(
    [
      fc.integer({ min: 0, max: table.states.length - 1 }),
      fc.oneof(fc.integer({ min: 200, max: 599 }), fc.constant('malformed' as const)),
      fc.nat(MALFORMED.length - 1),
    ],
    { numRuns: 600 },
  )('any reply in any waiting state reacts as the table says', async (index, input, malformedIndex) => {
    await check(table.states[index]!, input, malformedIndex);
  });

  test('exhaustively: every code 200–599 and every malformed sample in every row', async () => {
    for (const row of table.states) {
      for (let code = 200; code <= 599; code++) await check(row, code);
      for (let i = 0; i < MALFORMED.length; i++) await check(row, 'malformed', i);
    }
  });
});
