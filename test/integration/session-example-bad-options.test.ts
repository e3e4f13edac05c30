/**
 * examples/session-over-socket.ts given options the Session refuses (an unknown timeout name): the
 * send is refused as a usage error, and no connection is left behind (the dial must not outlive it).
 */
import { expect, it } from 'vitest';
import { sendOneMessage } from '../../examples/session-over-socket.js';
import { sockets, stubbornServer } from './session-example-support.js';

it('a timeout name the Session refuses: a usage error, and no socket left open', async () => {
  const server = await stubbornServer(() => {});
  try {
    const attempt = sendOneMessage({
      host: '127.0.0.1',
      port: server.port,
      timeouts: { comand: 300 } as never,
      from: 'app@example.com',
      to: ['b@example.org'],
      message: 'Subject: Hi\r\n\r\nHello.\r\n',
    });
    await expect(attempt).rejects.toMatchObject({ name: 'SmtpUsageError' });
    // Nothing was dialled, or what was is gone: neither end of a connection remains.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(sockets()).toBe(0);
  } finally {
    await server.close();
  }
});
