/**
 * createClient over real sockets on 127.0.0.1: the next envelope behind the dot (RFC 2920 §3.1), BDAT
 * (RFC 3030) with exact bytes, the lock-step minimum without PIPELINING, and the idle close. Round
 * trips are counted as the server's TCP reads: each flight of the client arrives as one read.
 */
import * as net from 'node:net';
import { describe, expect, it } from 'vitest';
import { harness, MESSAGE } from '../support/client-harness.js';
import type { ScriptedConnection } from '../support/scripted-server.js';

const envelope = { from: 'a@example.test', to: 'b@example.test', message: MESSAGE };
const N = 20;

/** The server's reads, as text. */
const reads = (connection: ScriptedConnection): string[] =>
  connection.chunks.map((chunk) => chunk.bytes.toString('latin1'));

describe('round trips per message', () => {
  it(`PIPELINING, ${N} queued messages, replies delayed 20 ms: one flight per message`, async () => {
    const { server, client } = await harness({ replyDelayMs: 20 }, { security: 'none' });
    const started = performance.now();
    const results = await Promise.all(Array.from({ length: N }, () => client.send(envelope)));
    const elapsed = performance.now() - started;
    expect(results.every((r) => r.reply.code === 250)).toBe(true);
    expect(server.transactions).toHaveLength(N);
    await client.close();
    const texts = reads(server.connections[0]!);
    // EHLO, the first envelope, N × (body + dot + next envelope), QUIT.
    expect(texts.length).toBeLessThanOrEqual(N + 3);
    const behindTheDot = texts.filter((t) => t.includes('\r\n.\r\nMAIL FROM:<a@example.test>'));
    expect(behindTheDot).toHaveLength(N - 1);
    for (const text of behindTheDot) {
      expect(text).toBe(
        `${MESSAGE}.\r\nMAIL FROM:<a@example.test> SIZE=${MESSAGE.length}\r\nRCPT TO:<b@example.test>\r\nDATA\r\n`,
      );
    }
    console.info(
      `${N} messages, 20 ms reply delay: ${texts.length} client flights, ${elapsed.toFixed(0)} ms`,
    );
  });

  it('without PIPELINING: exactly the lock-step minimum (one command per flight)', async () => {
    const capabilities = ['8BITMIME', 'SIZE 100000'];
    const { server, client } = await harness({ capabilities }, { security: 'none' });
    await Promise.all([client.send(envelope), client.send(envelope), client.send(envelope)]);
    await client.close();
    const texts = reads(server.connections[0]!);
    // EHLO, then per message MAIL, RCPT, DATA, body + dot; then QUIT.
    expect(texts).toHaveLength(1 + 3 * 4 + 1);
    expect(texts.filter((t) => t.startsWith('MAIL FROM:'))).toHaveLength(3);
    expect(texts.every((t) => t.split('\r\n').length <= 2 || t.endsWith('\r\n.\r\n'))).toBe(true);
  });
});

describe('one socket write per flight', () => {
  it('the dot and the next envelope leave in ONE write (writev), never a small trailing write', async () => {
    const { server, client } = await harness({}, { security: 'none' });
    const proto = net.Socket.prototype as unknown as Record<
      '_write' | '_writev',
      (...a: unknown[]) => unknown
    >;
    const original = { _write: proto._write, _writev: proto._writev };
    let clientWrites = 0;
    for (const name of ['_write', '_writev'] as const) {
      proto[name] = function (this: net.Socket, ...args: unknown[]) {
        if (this.remotePort === server.port) clientWrites++;
        return original[name].apply(this, args);
      };
    }
    try {
      await Promise.all(Array.from({ length: N }, () => client.send(envelope)));
      await client.close();
    } finally {
      Object.assign(proto, original);
    }
    // EHLO, the first envelope, N × (body + dot + next envelope), QUIT.
    expect(clientWrites).toBeLessThanOrEqual(N + 3);
  });
});

describe('CHUNKING (BDAT)', () => {
  const capabilities = ['PIPELINING', '8BITMIME', 'CHUNKING', 'SIZE 1000000'];

  it('a whole message: MAIL + RCPT + BDAT n LAST + the unstuffed bytes in one flight', async () => {
    const { server, client } = await harness({ capabilities }, { security: 'none' });
    const message = 'Subject: b\n\n.dot line\n..two\nend';
    const result = await client.send({ ...envelope, message });
    expect(result.reply.code).toBe(250);
    const expected = 'Subject: b\r\n\r\n.dot line\r\n..two\r\nend\r\n';
    const [transaction] = server.transactions;
    expect(transaction).toMatchObject({ via: 'BDAT', from: 'a@example.test', to: ['b@example.test'] });
    expect(transaction?.raw.toString('latin1')).toBe(expected);
    const texts = reads(server.connections[0]!);
    expect(texts[1]).toBe(
      `MAIL FROM:<a@example.test> SIZE=${expected.length}\r\nRCPT TO:<b@example.test>\r\n` +
        `BDAT ${expected.length} LAST\r\n${expected}`,
    );
  });

  it(`${N} queued messages with replies delayed 20 ms: one flight per message`, async () => {
    const { server, client } = await harness({ capabilities, replyDelayMs: 20 }, { security: 'none' });
    await Promise.all(Array.from({ length: N }, () => client.send(envelope)));
    await client.close();
    expect(server.transactions.filter((t) => t.via === 'BDAT')).toHaveLength(N);
    expect(reads(server.connections[0]!).length).toBeLessThanOrEqual(N + 2);
  });

  it('a stream: BDAT chunks then LAST, content intact', async () => {
    const { server, client } = await harness({ capabilities }, { security: 'none' });
    const line = `${'x'.repeat(70)}\r\n`;
    const big = line.repeat(2000); // 144 000 octets: more than one chunk
    async function* source() {
      yield new TextEncoder().encode('Subject: s\r\n\r\n.first\r\n');
      for (let i = 0; i < 4; i++) yield new TextEncoder().encode(big.slice(i * 36_000, (i + 1) * 36_000));
    }
    const result = await client.send({ ...envelope, message: source() });
    expect(result.reply.code).toBe(250);
    const bdat = server.connections[0]!.commands.filter((c) => c.verb === 'BDAT').map((c) => c.line);
    expect(bdat.length).toBeGreaterThan(1);
    expect(bdat.at(-1)).toMatch(/^BDAT \d+ LAST$/);
    expect(bdat.slice(0, -1).every((l) => /^BDAT \d+$/.test(l))).toBe(true);
    expect(server.transactions[0]?.content.toString('latin1')).toBe(`Subject: s\r\n\r\n.first\r\n${big}`);
  });

  it('chunking: false sends DATA even when CHUNKING is offered', async () => {
    const { server, client } = await harness({ capabilities }, { security: 'none', chunking: false });
    await client.send(envelope);
    expect(server.transactions[0]?.via).toBeUndefined();
    expect(server.connections[0]!.commands.map((c) => c.verb)).toContain('DATA');
  });
});

describe('idle close', () => {
  it('QUITs a connection idle for idleTimeoutMs; the next send opens a fresh one', async () => {
    const { server, client } = await harness({}, { security: 'none', idleTimeoutMs: 100 });
    await client.send(envelope);
    await server.waitFor(() => server.connections[0]!.isClosed, 2000);
    expect(server.connections[0]!.commands.at(-1)?.verb).toBe('QUIT');
    expect(client.connected).toBe(false);
    await client.send(envelope);
    expect(server.connections).toHaveLength(2);
  });

  it('idleTimeoutMs: 0 keeps the connection open', async () => {
    const { server, client } = await harness({}, { security: 'none', idleTimeoutMs: 0 });
    await client.send(envelope);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(client.connected).toBe(true);
    expect(server.connections[0]!.commands.map((c) => c.verb)).not.toContain('QUIT');
  });
});
