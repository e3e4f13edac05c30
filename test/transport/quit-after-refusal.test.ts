/**
 * RFC 5321 §3.1, §4.1.1.10: a server that greets with 554 "MUST still wait for the client to send a
 * QUIT", and the client must not close before it has. createClient writes QUIT and then lets the
 * server close first (bounded by the close grace), so the server's 221 is read rather than answered
 * with a reset — the same clean end as a quit() (test/session/quit-after-refusal.test.ts has every
 * refusal that does this).
 */
import * as net from 'node:net';
import { afterEach, expect, test } from 'vitest';
import { createClient } from '../../src/transport/client.js';

interface Peer {
  readonly port: number;
  readonly received: () => string;
  /** Whether the server has ended its side (after its 221). */
  readonly ended: () => boolean;
  /** Resolves on the server socket's close, with whether a reset (an 'error') came first. */
  readonly closed: Promise<{ reset: boolean }>;
}

const servers: net.Server[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});

/** Greets 554; answers QUIT with a 221 after `replyDelayMs`, then closes its side after as long again. */
async function refusingServer(replyDelayMs: number): Promise<Peer> {
  let received = '';
  let ended = false;
  let settle!: (value: { reset: boolean }) => void;
  const closed = new Promise<{ reset: boolean }>((resolve) => {
    settle = resolve;
  });
  // Half-open allowed: the client's FIN behind its QUIT does not close the server's side at once.
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    let reset = false;
    socket.on('error', () => {
      reset = true;
    });
    socket.on('close', () => settle({ reset }));
    socket.on('data', (bytes) => {
      received += bytes.toString('latin1');
      if (received.includes('QUIT\r\n'))
        setTimeout(() => {
          if (socket.destroyed) return;
          // The 221 in two writes, the second with the FIN a little later: a client that has
          // already let go answers the first with a reset, and the second write fails on it.
          socket.write('221 2.0.0 ');
          setTimeout(() => {
            ended = true;
            socket.end('bye\r\n');
          }, replyDelayMs);
        }, replyDelayMs);
    });
    socket.write('554 5.3.2 no service here\r\n');
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return { port, received: () => received, ended: () => ended, closed };
}

test('a 554 greeting: QUIT is written, and the server closes first without a reset', async () => {
  const peer = await refusingServer(50);
  const client = createClient({ host: '127.0.0.1', port: peer.port, security: 'none' });
  const error = await client.send({ from: 'a@example.test', to: 'b@example.test', message: 'hi\r\n' }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toMatchObject({ code: 'SMTP_GREETING_REFUSED', outcome: 'rejected' });
  const { reset } = await peer.closed;
  expect(peer.received()).toBe('QUIT\r\n');
  expect(reset).toBe(false);
  await client.close();
});

test('close() resolves once that socket is closed, though the failed setup let go of it', async () => {
  const peer = await refusingServer(100);
  const client = createClient({ host: '127.0.0.1', port: peer.port, security: 'none' });
  await expect(
    client.send({ from: 'a@example.test', to: 'b@example.test', message: 'hi\r\n' }),
  ).rejects.toMatchObject({
    code: 'SMTP_GREETING_REFUSED',
  });
  // The server answers QUIT 100 ms later and closes 100 ms after that: close() waits for it.
  await client.close();
  expect(peer.received()).toBe('QUIT\r\n');
  expect(peer.ended()).toBe(true);
  expect((await peer.closed).reset).toBe(false);
});

test("a reset after the refusal does not replace it as the connection's end in the logger's 'closed' event", async () => {
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    socket.on('error', () => {});
    socket.write('554 5.3.2 no service here\r\n');
    // The QUIT is read, then the server resets instead of answering 221.
    socket.once('data', () => setTimeout(() => socket.resetAndDestroy(), 20));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const closed: unknown[] = [];
  const client = createClient({
    host: '127.0.0.1',
    port: (server.address() as net.AddressInfo).port,
    security: 'none',
    logger: (event) => {
      if (event.type === 'closed') closed.push(event.error);
    },
  });
  await expect(
    client.send({ from: 'a@example.test', to: 'b@example.test', message: 'hi\r\n' }),
  ).rejects.toMatchObject({
    code: 'SMTP_GREETING_REFUSED',
  });
  await client.close();
  expect(closed).toEqual([expect.objectContaining({ code: 'SMTP_GREETING_REFUSED' })]);
});
