/**
 * examples/session-over-socket.ts given options the Session refuses (an unknown timeout name): the
 * send is refused as a usage error, and no connection is left behind (the dial must not outlive it).
 */
import * as net from 'node:net';
import { expect, it } from 'vitest';
import { sendOneMessage } from '../../examples/session-over-socket.js';

const sockets = () => process.getActiveResourcesInfo().filter((name) => name === 'TCPSocketWrap').length;

it('a timeout name the Session refuses: a usage error, and no socket left open', async () => {
  const connections: net.Socket[] = [];
  const server = net.createServer({ allowHalfOpen: true }, (connection) => {
    connections.push(connection);
    connection.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  try {
    const attempt = sendOneMessage({
      host: '127.0.0.1',
      port,
      timeouts: { comand: 300 } as never,
      from: 'app@example.com',
      to: ['b@example.org'],
      message: 'Subject: Hi\r\n\r\nHello.\r\n',
    });
    await expect(attempt).rejects.toMatchObject({ name: 'SmtpUsageError' });
    // Nothing was dialled, or what was is gone: neither end of a connection remains.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(connections.filter((c) => !c.destroyed && !c.readableEnded)).toHaveLength(0);
    expect(sockets()).toBe(0);
  } finally {
    for (const connection of connections) connection.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
});
