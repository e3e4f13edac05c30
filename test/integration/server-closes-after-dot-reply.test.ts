/**
 * A pipelining server answers the first message's dot with 250 and closes the connection at once
 * (FIN or reset). The next message was already written behind that dot: it was not sent, and the
 * connection closing is why — SMTP_CONNECTION_CLOSED, not "the client closed the session", which
 * the caller never did. The third goes out on a new connection. No warning is printed.
 */
import * as net from 'node:net';
import { afterEach, expect, it, vi } from 'vitest';
import { ErrorCodes } from '../../src/errors/codes.js';
import { createClient } from '../../src/transport/client.js';

const servers: net.Server[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

/** PIPELINING; the first dot of each connection gets 250, then the connection ends (`how`). */
async function closingServer(how: 'end' | 'reset'): Promise<number> {
  let dots = 0;
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    let buffer = '';
    let inData = false;
    socket.write('220 mx.example\r\n');
    socket.on('data', (chunk) => {
      buffer += chunk.toString('latin1');
      for (;;) {
        if (inData) {
          const end = buffer.indexOf('\r\n.\r\n');
          if (end < 0) return;
          buffer = buffer.slice(end + 5);
          inData = false;
          dots++;
          socket.write(`250 queued ${dots}\r\n`);
          if (how === 'end') socket.end();
          else socket.resetAndDestroy();
          return;
        }
        const end = buffer.indexOf('\r\n');
        if (end < 0) return;
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (line.startsWith('EHLO')) socket.write('250-mx.example\r\n250 PIPELINING\r\n');
        else if (line === 'DATA') {
          inData = true;
          socket.write('354 go\r\n');
        } else socket.write('250 ok\r\n');
      }
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

it.each(['end', 'reset'] as const)(
  'server %s right after the 250: the next send fails CONNECTION_CLOSED (not-sent)',
  async (how) => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const port = await closingServer(how);
    const client = createClient({ host: '127.0.0.1', port, security: 'none', clientName: 'client.example' });
    try {
      const results = await Promise.allSettled(
        [1, 2, 3].map((n) =>
          client.send({
            from: `s${n}@example.com`,
            to: ['r@example.org'],
            message: `Subject: ${n}\r\n\r\nhi\r\n`,
          }),
        ),
      );
      expect(results[0]?.status).toBe('fulfilled');
      // The second was written behind the first's dot, on the connection that closed.
      expect(results[1]).toMatchObject({
        status: 'rejected',
        reason: { code: ErrorCodes.CONNECTION_CLOSED, outcome: 'not-sent' },
      });
      // The third went out on a new connection, or was not sent either; never "the client closed".
      const third = results[2];
      if (third?.status === 'rejected') expect(third.reason.code).not.toBe(ErrorCodes.CLIENT_CLOSED);
      expect(warn).not.toHaveBeenCalled();
    } finally {
      client.destroy();
    }
  },
);
