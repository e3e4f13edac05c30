/**
 * `check`'s probe times each reply on a monotonic clock (as src/delivery/clock.ts does for back-offs):
 * a wall-clock step forward (an NTP correction) while a reply trickles in must not end the wait at
 * once with "no reply within N ms", nor a step back stretch it. Found by a review of every timer.
 */
import * as net from 'node:net';
import { afterEach, expect, test, vi } from 'vitest';
import { Conversation } from '../../src/cli/smtp-probe.js';

const open: { server: net.Server; socket: net.Socket }[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const { server, socket } of open.splice(0)) {
    socket.destroy();
    server.close();
  }
});

test('a wall-clock step forward does not cut a reply wait short', async () => {
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    setTimeout(() => socket.write('220-mx.example\r\n'), 50);
    setTimeout(() => socket.write('220 ready\r\n'), 150);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const socket = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  open.push({ server, socket });
  await new Promise((resolve) => socket.once('connect', resolve));
  const conversation = new Conversation(socket);
  const realNow = Date.now.bind(Date);
  const started = realNow();
  vi.spyOn(Date, 'now').mockImplementation(() => realNow() + (realNow() - started > 20 ? 3_600_000 : 0));
  await expect(conversation.reply(5_000)).resolves.toMatchObject({ code: 220 });
});
