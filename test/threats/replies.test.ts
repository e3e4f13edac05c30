/**
 * threats.md §6 — replies: reply bombs (endless `250-`, a line without CRLF) fail fast with bounded
 * memory, malformed codes and mixed multi-line codes are refused, an unsolicited reply ends the
 * session, a close mid-reply is CONNECTION_CLOSED with what was received, control characters in a
 * quoted reply are escaped, and AUTH challenge loops are bounded.
 */
import { inspect } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { printable, printableLines } from '../../src/errors/printable.js';
import { DEFAULT_MAX_REPLY_LINE_OCTETS, DEFAULT_MAX_REPLY_OCTETS } from '../../src/protocol/limits.js';
import { MAX_AUTH_CHALLENGES } from '../../src/session/machine-setup.js';
import { createClient } from '../../src/transport/client.js';
import { Harness as SessionHarness } from '../session/harness.js';
import { harness, MESSAGE, rejection, verbs } from '../support/client-harness.js';
import { startFaultProxy } from '../support/fault-proxy.js';
import type { ScriptedConnection, ScriptedOverride } from '../support/scripted-server.js';

const envelope = { from: 'a@example.test', to: ['b@example.test'], message: MESSAGE };
const SLACK = 100 * 1024;
const SAFETY = 64 * 1024 * 1024;

interface Bomb {
  /** Bytes the server had written when the client hung up. */
  written: number;
}

/** Streams `piece` in 4 KiB writes, one per event-loop turn, until the client hangs up. */
function detonate(connection: ScriptedConnection, head: string, piece: string): Bomb {
  const bomb: Bomb = { written: 0 };
  const block = piece.repeat(Math.ceil(4096 / piece.length));
  connection.write(head);
  bomb.written += head.length;
  const loop = (): void => {
    if (connection.isClosed || bomb.written > SAFETY) return;
    connection.write(block);
    bomb.written += block.length;
    setImmediate(loop);
  };
  setImmediate(loop);
  return bomb;
}

function bombOverride(head: string, piece: string, box: { bomb?: Bomb }): ScriptedOverride {
  return (_line, connection) => {
    box.bomb = detonate(connection, head, piece);
    return null;
  };
}

describe('threats §6: reply bombs fail fast with bounded memory', () => {
  const cases = [
    {
      name: 'an endless 250- continuation to EHLO',
      verb: 'EHLO',
      head: '250-bomb.test\r\n',
      piece: `250-${'x'.repeat(70)}\r\n`,
      cap: DEFAULT_MAX_REPLY_OCTETS,
    },
    {
      name: 'an endless 220- greeting',
      verb: 'GREETING',
      head: '220-bomb.test\r\n',
      piece: `220-${'x'.repeat(70)}\r\n`,
      cap: DEFAULT_MAX_REPLY_OCTETS,
    },
    {
      name: 'an EHLO line without CRLF',
      verb: 'EHLO',
      head: '250 ',
      piece: 'x'.repeat(64),
      cap: DEFAULT_MAX_REPLY_LINE_OCTETS,
    },
    {
      name: 'a reply to MAIL without CRLF',
      verb: 'MAIL',
      head: '250 ',
      piece: 'y'.repeat(64),
      cap: DEFAULT_MAX_REPLY_LINE_OCTETS,
    },
  ] as const;
  for (const { name, verb, head, piece, cap } of cases) {
    it(`defends against ${name}: SMTP_REPLY_TOO_LONG within the cap + 100 KiB, quickly`, async () => {
      const box: { bomb?: Bomb } = {};
      const { server, client } = await harness(
        { overrides: { [verb]: bombOverride(head, piece, box) } },
        { security: 'none', pipelining: false, timeouts: { greeting: 5000, command: 5000 } },
      );
      const started = Date.now();
      const error = await rejection(client.send(envelope));
      expect(error).toMatchObject({ code: 'SMTP_REPLY_TOO_LONG', outcome: 'not-sent' });
      expect(Date.now() - started).toBeLessThan(2000);
      await server.waitFor(() => server.connections[0]!.isClosed, 3000);
      expect(box.bomb!.written).toBeLessThan(cap + SLACK);
      expect(server.transactions).toEqual([]);
    });
  }

  it('defends against an endless reply to the final dot: SMTP_REPLY_TOO_LONG with outcome unknown', async () => {
    const box: { bomb?: Bomb } = {};
    const { server, client } = await harness(
      { overrides: { DOT: bombOverride('250-queued\r\n', `250-${'z'.repeat(70)}\r\n`, box) } },
      { security: 'none' },
    );
    const error = await rejection(client.send(envelope));
    expect(error).toMatchObject({ code: 'SMTP_REPLY_TOO_LONG', outcome: 'unknown' });
    await server.waitFor(() => server.connections[0]!.isClosed, 3000);
    expect(box.bomb!.written).toBeLessThan(DEFAULT_MAX_REPLY_OCTETS + SLACK);
  });

  it('defends against a line without CRLF re-chunked into 1-3 byte pieces by a proxy', async () => {
    const box: { bomb?: Bomb } = {};
    const { server } = await harness({ overrides: { GREETING: bombOverride('220 ', 'w'.repeat(64), box) } });
    const proxy = await startFaultProxy({ target: server, seed: 6, maxChunk: 3 });
    const client = createClient({ host: '127.0.0.1', port: proxy.port, security: 'none' });
    try {
      const error = await rejection(client.send(envelope));
      expect(error.code).toBe('SMTP_REPLY_TOO_LONG');
      expect(proxy.bytes.downstream).toBeLessThan(DEFAULT_MAX_REPLY_LINE_OCTETS + SLACK);
    } finally {
      await proxy.close();
      await client.close();
    }
    // Thousands of 1-3 byte writes, each in its own turn: ~5 s on an idle core, past the default
    // 20 s on a loaded one.
  }, 60_000);
});

describe('threats §6: malformed replies are refused', () => {
  for (const greeting of [
    'XXX hello',
    '0 hello',
    '01 hello',
    '1234 hello',
    '600 hello',
    '220hello',
    ' 220 hello',
  ]) {
    it(`refuses the greeting ${JSON.stringify(greeting)}: SMTP_REPLY_MALFORMED, nothing written`, async () => {
      const { server, client } = await harness({ overrides: { GREETING: greeting } }, { security: 'none' });
      const error = await rejection(client.send(envelope));
      expect(error).toMatchObject({ code: 'SMTP_REPLY_MALFORMED', outcome: 'not-sent' });
      await server.waitFor(() => server.connections[0]!.isClosed);
      expect(server.connections[0]!.received()).toHaveLength(0);
    });
  }

  const mixed: readonly (readonly [string, string, string])[] = [
    ['GREETING', '220-hello\r\n221 bye', 'the greeting'],
    ['EHLO', '250-scripted.test\r\n251 PIPELINING', 'EHLO'],
    ['MAIL', '250-ok\r\n550 no', 'MAIL'],
  ];
  for (const [verb, reply, what] of mixed) {
    it(`refuses a multi-line reply to ${what} whose codes differ: SMTP_REPLY_MALFORMED`, async () => {
      const { server, client } = await harness({ overrides: { [verb]: reply } }, { security: 'none' });
      const error = await rejection(client.send(envelope));
      expect(error).toMatchObject({ code: 'SMTP_REPLY_MALFORMED', outcome: 'not-sent' });
      expect(server.transactions).toEqual([]);
    });
  }

  it('refuses a malformed reply to MAIL (not-sent) and to the final dot (unknown)', async () => {
    const mail = await harness({ overrides: { MAIL: '25O ok' } }, { security: 'none' });
    expect(await rejection(mail.client.send(envelope))).toMatchObject({
      code: 'SMTP_REPLY_MALFORMED',
      outcome: 'not-sent',
    });
    const dot = await harness({ overrides: { DOT: '2500 queued' } }, { security: 'none' });
    expect(await rejection(dot.client.send(envelope))).toMatchObject({
      code: 'SMTP_REPLY_MALFORMED',
      outcome: 'unknown',
    });
    expect(dot.server.transactions).toHaveLength(1);
  });
});

describe('threats §6: a reply nobody asked for', () => {
  it('ends an idle session on an unsolicited reply: it closes, writes nothing, the next send reconnects', async () => {
    const { server, client } = await harness({}, { security: 'none' });
    await client.send(envelope);
    const first = server.connections[0]!;
    const before = first.received().length;
    first.write('250 2.0.0 unsolicited\r\n');
    await server.waitFor(() => first.isClosed);
    expect(first.received().length).toBe(before); // not even QUIT
    await client.send(envelope);
    expect(server.connections).toHaveLength(2);
    expect(server.transactions).toHaveLength(2);
  });

  it('session: an unsolicited reply in ready fails the session (state failed, close, no write)', () => {
    const session = new SessionHarness().ready();
    expect(session.session.idle).toBe(true);
    const writes = session.writes.length;
    session.server('250 2.0.0 unsolicited');
    expect(session.session.ended).toBe(true);
    expect(session.session.state).toBe('failed');
    expect(session.closed).toBe(true);
    expect(session.writes).toHaveLength(writes);
  });

  it('refuses an extra reply in lock-step (250 to MAIL twice): SMTP_REPLY_UNEXPECTED, no body, not-sent', async () => {
    const { server, client } = await harness(
      { overrides: { MAIL: '250 2.1.0 ok\r\n250 2.1.5 extra' } },
      { security: 'none', pipelining: false },
    );
    const error = await rejection(client.send(envelope));
    expect(error).toMatchObject({ code: 'SMTP_REPLY_UNEXPECTED', outcome: 'not-sent' });
    expect(server.transactions).toEqual([]);
    expect(server.connections[0]!.pendingData).toHaveLength(0);
  });
});

describe('threats §6: control characters in a reply text (log injection)', () => {
  // A hostile 550 that, printed raw, would move the cursor up, erase the line and claim delivery.
  const HOSTILE = '550 5.7.1 denied\r\x1b[1A\x1b[2K250 2.0.0 delivered\x00 \u2028\u202e';

  it('are escaped in the error message; the reply itself keeps what the server sent', async () => {
    const { client } = await harness({ overrides: { MAIL: HOSTILE } }, { security: 'none' });
    const error = await rejection(client.send(envelope));
    expect(error).toMatchObject({ code: 'SMTP_SENDER_REJECTED', outcome: 'rejected' });
    expect(error.message).not.toMatch(/[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e]/u);
    expect(error.message).toContain('denied\\x0d\\x1b[1A\\x1b[2K250 2.0.0 delivered\\x00 \\u2028\\u202e');
    expect(error.reply?.lines).toEqual([HOSTILE.slice(4)]);
  });

  it('printable() escapes every unsafe character and nothing else', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        const shown = printable(text);
        expect(shown).not.toMatch(/[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u);
        // Reversible: each escape stands for one character, and text without unsafe ones is unchanged.
        const back = shown.replace(/\\x([0-9a-f]{2})|\\u([0-9a-f]{4})/g, (_, x, u) =>
          String.fromCharCode(Number.parseInt(x ?? u, 16)),
        );
        if (!text.includes('\\')) expect(back).toBe(text);
      }),
    );
    expect(printableLines('a\nb\r\x1b')).toBe('a\nb\\x0d\\x1b');
  });
});

describe('threats §6: a close in the middle of a reply', () => {
  const partial =
    (text: string): ScriptedOverride =>
    (_line, connection) => {
      connection.write(text);
      connection.close();
      return null;
    };
  for (const [verb, text] of [
    ['GREETING', '220-scripted.test hi\r\n220-more'],
    ['EHLO', '250-scripted.test\r\n250-PIPEL'],
    ['MAIL', '250 2.1'],
    ['DATA', '354 go ah'],
  ] as const) {
    it(`reports a close mid-reply to ${verb} as SMTP_CONNECTION_CLOSED, not-sent`, async () => {
      const { server, client } = await harness(
        { overrides: { [verb]: partial(text) } },
        { security: 'none' },
      );
      const error = await rejection(client.send(envelope));
      expect(error).toMatchObject({ code: 'SMTP_CONNECTION_CLOSED', outcome: 'not-sent' });
      expect(server.transactions).toEqual([]);
    });
  }

  it('reports a close mid-reply to the final dot as SMTP_CONNECTION_CLOSED, unknown', async () => {
    const { client } = await harness(
      { overrides: { DOT: partial('250 2.0.0 Ok que') } },
      { security: 'none' },
    );
    const error = await rejection(client.send(envelope));
    expect(error).toMatchObject({ code: 'SMTP_CONNECTION_CLOSED', outcome: 'unknown' });
  });

  // "...reported with whatever was received": the cut reply is in the error, escaped (a cut "250 …
  // queued as" after the dot is evidence of delivery), but never while authenticating (echoes).
  for (const [verb, text, seen] of [
    ['DOT', '250 2.0.0 Ok queued as 4F2A9', 'queued as 4F2A9'],
    ['DOT', '250-2.0.0 Ok queued as 4F2A9\r\n250-more', 'queued as 4F2A9'],
    ['MAIL', '452-4.3.1 Insufficient system storage\r\n452 4.3', 'Insufficient system storage'],
  ] as const) {
    it(`${verb}: ${JSON.stringify(text)}`, async () => {
      const { client } = await harness({ overrides: { [verb]: partial(text) } }, { security: 'none' });
      const error = await rejection(client.send(envelope));
      expect(error.code).toBe('SMTP_CONNECTION_CLOSED');
      expect(inspect(error, { depth: 10 })).toContain(seen);
    });
  }

  it('AUTH: a cut reply is not quoted (it may echo the credentials)', async () => {
    const { client } = await harness(
      { overrides: { AUTH: partial('535-5.7.8 Authentication failed for secret-user\r\n535 5.7') } },
      { auth: { user: 'secret-user', pass: 'pw' } },
    );
    const error = await rejection(client.send(envelope));
    expect(error.code).toBe('SMTP_CONNECTION_CLOSED');
    expect(inspect(error, { depth: 10 })).not.toContain('secret-user');
  });

  it('control characters in the cut reply are escaped', async () => {
    const { client } = await harness(
      { overrides: { DOT: partial('250 2.0.0 Ok\x1b[2K queued') } },
      { security: 'none' },
    );
    const error = await rejection(client.send(envelope));
    expect(error.message).toContain('250 2.0.0 Ok\\x1b[2K queued');
    expect(error.message).not.toContain('\x1b');
  });
});

describe('threats §6: AUTH challenge loops are bounded', () => {
  for (const method of ['PLAIN', 'LOGIN'] as const) {
    it(`stops an endless 334 loop (${method}) after ${MAX_AUTH_CHALLENGES} challenges: SMTP_AUTH_CHALLENGE_LIMIT`, async () => {
      const { server, client } = await harness(
        { overrides: { AUTH: '334 ', AUTH_RESPONSE: '334 ', UNKNOWN: '334 ' } },
        { auth: { user: 'loop-user', pass: 'loop-pass', method } },
      );
      const started = Date.now();
      const error = await rejection(client.send(envelope));
      expect(error).toMatchObject({ code: 'SMTP_AUTH_CHALLENGE_LIMIT', phase: 'auth', outcome: 'not-sent' });
      expect(Date.now() - started).toBeLessThan(2000);
      const answers = verbs(server).filter((v) => v === 'AUTH_RESPONSE');
      expect(answers.length).toBeLessThanOrEqual(MAX_AUTH_CHALLENGES);
      expect(verbs(server)).not.toContain('MAIL');
    });
  }
});
