/**
 * The pool's connections shared over real sockets (connection-slot.ts, RFC 2920 §3.1): with the one
 * connection it may open in use, a server offering PIPELINING gets the next envelope behind each dot,
 * so a steady stream of pooled messages costs one round trip each, as on one createClient; without
 * PIPELINING the pool keeps to one transaction per connection (the lock-step minimum). Round trips
 * are counted as the server's TCP reads: each flight of the client arrives as one read. The wire
 * still carries one transaction at a time (threats.md §7): each MAIL after the previous final dot.
 * Also the client's `pipelining` flag the pool reads.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createPool, type Pool } from '../../src/delivery/pool.js';
import type { PoolEvent } from '../../src/delivery/pool-events.js';
import { createClient, createPooledClient } from '../../src/transport/client.js';
import { MESSAGE } from '../support/client-harness.js';
import {
  type ScriptedConnection,
  type ScriptedServer,
  type ScriptedServerOptions,
  startScriptedServer,
} from '../support/scripted-server.js';

const open: { pool?: Pool; server: ScriptedServer }[] = [];

afterEach(async () => {
  for (const { pool, server } of open.splice(0)) {
    await pool?.close({ deadlineMs: 1_000 });
    await server.close();
  }
});

async function poolOn(serverOptions: ScriptedServerOptions) {
  const server = await startScriptedServer(serverOptions);
  const events: PoolEvent[] = [];
  const pool = createPool({
    host: '127.0.0.1',
    port: server.port,
    security: 'none',
    maxConnections: 1,
    onEvent: (event) => events.push(event),
  });
  open.push({ pool, server });
  return { pool, server, events };
}

const opened = (events: readonly PoolEvent[]) => events.filter((e) => e.type === 'connection-opened').length;
const settled = <T>(promise: Promise<T>) =>
  promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );

const envelope = { from: 'a@example.test', to: 'b@example.test', message: MESSAGE };
const reads = (connection: ScriptedConnection | undefined): string[] =>
  (connection?.chunks ?? []).map((chunk) => chunk.bytes.toString('latin1'));
const N = 20;

describe('a pooled connection shared', () => {
  it(`PIPELINING, ${N} messages, replies delayed 20 ms: one flight per message on one connection`, async () => {
    const { pool, server } = await poolOn({ replyDelayMs: 20 });
    const started = performance.now();
    const results = await Promise.all(Array.from({ length: N }, () => pool.send(envelope)));
    const elapsed = performance.now() - started;
    expect(results.every((r) => r.accepted.length === 1 && r.attempts.length === 1)).toBe(true);
    expect(new Set(results.map((r) => r.attempts[0]?.connectionId))).toEqual(new Set(['c1']));
    await pool.close();
    expect(server.connections).toHaveLength(1);
    expect(server.transactions).toHaveLength(N);
    const texts = reads(server.connections[0]);
    // EHLO, the first message alone (envelope, body), the second taken when the first ends (its
    // envelope), then one flight per message — body + dot + the next envelope — and QUIT. Without
    // sharing it would be two flights per message (about 2N).
    expect(texts.length).toBeLessThanOrEqual(N + 5);
    expect(
      texts.filter((t) => t.includes('\r\n.\r\nMAIL FROM:<a@example.test>')).length,
    ).toBeGreaterThanOrEqual(N - 2);
    // Still one transaction at a time on the wire (RFC 5321 §3.3, threats.md §7): each MAIL comes
    // after the previous message's final dot, never inside a transaction.
    const wire = texts.join('');
    const mails = [...wire.matchAll(/MAIL FROM:/g)].map((m) => m.index);
    const dots = [...wire.matchAll(/\r\n\.\r\n/g)].map((m) => m.index);
    expect(mails).toHaveLength(N);
    expect(dots).toHaveLength(N);
    mails.slice(1).forEach((at, k) => {
      expect(at).toBeGreaterThan(dots[k] ?? Number.POSITIVE_INFINITY);
      expect(at).toBeLessThan(dots[k + 1] ?? Number.NEGATIVE_INFINITY);
    });
    console.info(
      `pool, ${N} messages, 20 ms reply delay: ${texts.length} client flights, ${elapsed.toFixed(0)} ms`,
    );
  });

  it("a caller's abort of a send waiting in the shared client: ABORTED, not-sent, and the connection stays", async () => {
    const { pool, server } = await poolOn({ replyDelayMs: 20 });
    await pool.send(envelope); // c1 is up and pipelining
    const controller = new AbortController();
    const sharing = [pool.send(envelope), pool.send(envelope)];
    const aborted = pool.send({ ...envelope, signal: controller.signal }).catch((error: unknown) => error);
    // The first two are in the session (one in flight, one behind it); the third waits in the client.
    await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort();
    expect(await aborted).toMatchObject({ code: 'SMTP_ABORTED', outcome: 'not-sent', phase: 'ready' });
    expect((await Promise.all(sharing)).every((r) => r.accepted.length === 1)).toBe(true);
    const after = await pool.send(envelope);
    expect(after.attempts.map((a) => a.connectionId)).toEqual(['c1']);
    await pool.close();
    expect(server.connections).toHaveLength(1);
    expect(server.transactions).toHaveLength(4);
  });

  it('the lead send aborted by its caller: the one behind its dot and the one still queued reconnect at once, on connections the pool opened', async () => {
    const { pool, server, events } = await poolOn({ replyDelayMs: 50 });
    await pool.send(envelope); // c1 up and pipelining
    const controller = new AbortController();
    const sends = [
      pool.send({ ...envelope, signal: controller.signal }),
      pool.send(envelope),
      pool.send(envelope),
    ].map(settled);
    await new Promise((resolve) => setTimeout(resolve, 60));
    controller.abort(new Error('caller'));
    const [lead, behind, queued] = await Promise.all(sends);
    expect(lead).toMatchObject({ error: { code: 'SMTP_ABORTED' } });
    for (const other of [behind, queued]) {
      expect(other).toMatchObject({ value: { accepted: ['b@example.test'] } });
    }
    const retries = events.filter((e) => e.type === 'retry-scheduled');
    expect(retries).toEqual([
      expect.objectContaining({ sendId: 3, cause: 'reconnect', delayMs: 0 }),
      expect.objectContaining({ sendId: 4, cause: 'reconnect', delayMs: 0 }),
    ]);
    await pool.close();
    // The client of the broken connection did not reconnect by itself inside its retiring slot.
    expect(server.connections.length).toBe(opened(events));
  });

  it('421 to the lead dot: the send behind it reconnects at once (not a back-off), no hidden connection', async () => {
    let dots = 0;
    const { pool, server, events } = await poolOn({
      replyDelayMs: 20,
      overrides: { DOT: () => (++dots === 2 ? '421 4.3.2 Service shutting down' : undefined) },
    });
    await pool.send(envelope);
    const sends = [pool.send(envelope), pool.send(envelope), pool.send(envelope)].map(settled);
    const results = await Promise.all(sends);
    expect(results.every((r) => 'value' in r)).toBe(true);
    const retries = events.filter((e) => e.type === 'retry-scheduled');
    expect(retries.find((e) => e.sendId === 2)).toMatchObject({ cause: 'retry' }); // its own 421
    for (const sendId of [3, 4]) {
      expect(retries.find((e) => e.sendId === sendId)).toMatchObject({ cause: 'reconnect', delayMs: 0 });
    }
    await pool.close();
    expect(server.connections.length).toBe(opened(events));
    expect(server.transactions.filter((t) => t.reply?.startsWith('250'))).toHaveLength(4);
  });

  it('a held next aborted before it was written: ABORTED, not-sent, phase ready; the lead and the connection go on', async () => {
    const { pool, server, events } = await poolOn({ replyDelayMs: 50 });
    await pool.send(envelope);
    const controller = new AbortController();
    const lead = pool.send(envelope);
    const behind = settled(pool.send({ ...envelope, signal: controller.signal }));
    // Before the lead's 354 (replies come 50 ms late): the one behind it is held, not written.
    await new Promise((resolve) => setTimeout(resolve, 15));
    controller.abort();
    expect(await behind).toMatchObject({
      error: { code: 'SMTP_ABORTED', outcome: 'not-sent', phase: 'ready' },
    });
    expect((await lead).attempts.map((a) => a.connectionId)).toEqual(['c1']);
    const after = await pool.send(envelope);
    expect(after.attempts.map((a) => a.connectionId)).toEqual(['c1']);
    expect(events.find((e) => e.type === 'connection-closed')).toBeUndefined();
    expect(server.transactions).toHaveLength(3);
  });

  it('without PIPELINING: one transaction at a time, each command its own flight', async () => {
    const { pool, server } = await poolOn({ capabilities: ['8BITMIME', 'SIZE 100000'] });
    const results = await Promise.all([1, 2, 3, 4].map(() => pool.send(envelope)));
    expect(results.every((r) => r.accepted.length === 1)).toBe(true);
    await pool.close();
    const texts = reads(server.connections[0]);
    // EHLO, then per message MAIL, RCPT, DATA, body + dot; then QUIT.
    expect(texts).toHaveLength(1 + 4 * 4 + 1);
    expect(texts.every((t) => t.split('\r\n').length <= 2 || t.endsWith('\r\n.\r\n'))).toBe(true);
  });
});

describe('SmtpClient.pipelining', () => {
  it('true while its connection to a PIPELINING server is open; false before, without it, and after', async () => {
    const server = await startScriptedServer({});
    open.push({ server });
    const client = createClient({ host: '127.0.0.1', port: server.port, security: 'none' });
    expect(client.pipelining).toBe(false);
    const sending = client.send(envelope);
    await sending;
    expect(client.pipelining).toBe(true);
    await client.close();
    expect(client.pipelining).toBe(false);

    const plain = await startScriptedServer({ capabilities: ['8BITMIME'] });
    open.push({ server: plain });
    const other = createClient({ host: '127.0.0.1', port: plain.port, security: 'none' });
    await other.send(envelope);
    expect(other.pipelining).toBe(false);
    await other.close();
  });

  it("a pool's client opens one connection in its life: once it is gone, a send fails not-sent (createClient reconnects)", async () => {
    const server = await startScriptedServer({});
    open.push({ server });
    const options = { host: '127.0.0.1', port: server.port, security: 'none' } as const;
    const pooled = createPooledClient(options);
    const plain = createClient(options);
    for (const client of [pooled, plain]) await client.send(envelope);
    for (const connection of server.connections) connection.destroy();
    await server.waitFor(() => server.connections.every((c) => c.isClosed));
    // The clients see the close.
    while (pooled.connected || plain.connected) await new Promise((resolve) => setTimeout(resolve, 5));
    await expect(pooled.send(envelope)).rejects.toMatchObject({
      code: 'SMTP_CONNECTION_CLOSED',
      outcome: 'not-sent',
      phase: 'ready',
      retryable: true,
    });
    expect((await plain.send(envelope)).accepted).toEqual(['b@example.test']);
    expect(server.connections).toHaveLength(3);
    await Promise.all([pooled.close(), plain.close()]);
  });

  it('false with the pipelining option off', async () => {
    const server = await startScriptedServer({});
    open.push({ server });
    const client = createClient({
      host: '127.0.0.1',
      port: server.port,
      security: 'none',
      pipelining: false,
    });
    await client.send(envelope);
    expect(client.pipelining).toBe(false);
    await client.close();
  });
});
