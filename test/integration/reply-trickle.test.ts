/**
 * A pipelining server that writes each reply on its own (as smtp-server does), so that one flight's
 * replies (RFC 2920 §3.1: the dot's, then the next envelope's MAIL, RCPT and 354) reach the client
 * over several reads. createClient lets the first ones wait for the rest (`coalesceReplies`, one
 * machine step per flight); these check that every message still settles with its own reply, and
 * that the wait is bounded: a server that pauses after the dot's 250 does not hold up that message.
 * A hand-written server (not the scripted one), so that it can space its replies.
 */
import { once } from 'node:events';
import * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient } from '../../src/index.js';

interface TrickleServer {
  readonly port: number;
  /** When each dot's reply was written (performance.now()), by message number from 1. */
  readonly dotRepliedAt: number[];
  close(): void;
}

/**
 * Greets, offers PIPELINING, answers MAIL/RCPT 250, DATA 354, the dot `250 2.0.0 Ok: queued as Qn`,
 * QUIT 221: each reply in a write of its own, a setImmediate after the one before; after the dot's reply
 * of message `pauseAfter`, the next reply waits `pauseMs`.
 */
async function trickleServer(pauseAfter = 0, pauseMs = 0): Promise<TrickleServer> {
  const sockets = new Set<net.Socket>();
  const dotRepliedAt: number[] = [];
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('error', () => {});
    let out = Promise.resolve();
    let dots = 0;
    const reply = (text: string, waitMs = 0, onWritten?: () => void) => {
      out = out
        .then(
          () => new Promise((resolve) => (waitMs > 0 ? setTimeout(resolve, waitMs) : setImmediate(resolve))),
        )
        .then(() => {
          if (socket.destroyed) return;
          socket.write(`${text}\r\n`);
          onWritten?.();
        });
    };
    let pending = '';
    let inData = false;
    let pauseNext = 0;
    socket.write('220 trickle.test ESMTP\r\n');
    socket.on('data', (chunk: Buffer) => {
      pending += chunk.toString('latin1');
      for (;;) {
        if (inData) {
          const end = pending.indexOf('\r\n.\r\n');
          if (end < 0) return;
          pending = pending.slice(end + 5);
          inData = false;
          const n = ++dots;
          reply(`250 2.0.0 Ok: queued as Q${n}`, 0, () => {
            dotRepliedAt[n] = performance.now();
          });
          if (n === pauseAfter) pauseNext = pauseMs;
          continue;
        }
        const end = pending.indexOf('\r\n');
        if (end < 0) return;
        const line = pending.slice(0, end);
        pending = pending.slice(end + 2);
        const verb = line.slice(0, 4).toUpperCase();
        const wait = pauseNext;
        pauseNext = 0;
        if (verb === 'EHLO') reply('250-trickle.test\r\n250-PIPELINING\r\n250 SIZE 1000000', wait);
        else if (verb === 'MAIL' || verb === 'RCPT') reply('250 2.1.0 ok', wait);
        else if (verb === 'DATA') {
          reply('354 go ahead', wait);
          inData = true;
        } else if (verb === 'QUIT') {
          reply('221 2.0.0 bye', wait);
          out = out.then(() => void socket.end());
        } else reply('500 5.5.2 what', wait);
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as net.AddressInfo).port,
    dotRepliedAt,
    close: () => {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

function clientFor(server: TrickleServer) {
  const client = createClient({
    host: '127.0.0.1',
    port: server.port,
    security: 'none',
    clientName: 'client.test',
  });
  cleanup = async () => {
    await client.close().catch(() => {});
    server.close();
  };
  return client;
}

const message = (n: number) => ({
  from: 'a@client.test',
  to: `b${n}@client.test`,
  message: `Subject: ${n}\r\n\r\nbody ${n}\r\n`,
});

describe('replies written one at a time', () => {
  it('20 messages on one connection: each settles once, with its own queue id, in order', async () => {
    const server = await trickleServer();
    const client = clientFor(server);
    const results = await Promise.all(Array.from({ length: 20 }, (_, n) => client.send(message(n + 1))));
    expect(results.map((result) => result.messageId)).toEqual(
      Array.from({ length: 20 }, (_, n) => `Q${n + 1}`),
    );
    expect(results.map((result) => result.accepted)).toEqual(
      Array.from({ length: 20 }, (_, n) => [`b${n + 1}@client.test`]),
    );
  });

  it('a server that pauses after the dot’s 250 does not hold up that message (the wait is ~1 ms)', async () => {
    const PAUSE_MS = 600;
    const server = await trickleServer(2, PAUSE_MS);
    const client = clientFor(server);
    const settledAt: number[] = [];
    const sends = [1, 2, 3].map((n) =>
      client.send(message(n)).then((result) => {
        settledAt[n] = performance.now();
        return result;
      }),
    );
    const results = await Promise.all(sends);
    expect(results.map((result) => result.messageId)).toEqual(['Q1', 'Q2', 'Q3']);
    // Message 2's 250 came alone, message 3's MAIL, RCPT and 354 PAUSE_MS later: message 2 settled
    // long before those (held until them, it would settle ≥ PAUSE_MS after its 250).
    const waited = (settledAt[2] ?? Number.POSITIVE_INFINITY) - (server.dotRepliedAt[2] ?? 0);
    expect(waited).toBeLessThan(PAUSE_MS / 2);
    expect(settledAt[3]! - server.dotRepliedAt[2]!).toBeGreaterThanOrEqual(PAUSE_MS - 50);
  });
});
