/**
 * examples/session-over-socket.ts when the server stops reading the body: the body is never reported
 * written, so the session times the data block out (not the final reply: the dot never left) and asks
 * to close; a close that waits for what was written to get out never ends (the server reads nothing
 * more), so the socket must be let go of anyway.
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import { expect, it } from 'vitest';
import { sendOneMessage } from '../../examples/session-over-socket.js';
import { ErrorCodes } from '../../src/errors/codes.js';
import { createTestCertificates } from '../../src/testing/certificates.js';
import { rejection, sockets } from './session-example-support.js';

it('a server that stops reading after 354: the data timeout ends the send and the socket goes', async () => {
  const certificates = await createTestCertificates();
  const connections: net.Socket[] = [];
  const server = net.createServer((connection) => {
    connections.push(connection);
    connection.on('error', () => {});
    connection.write('220 mx.example ESMTP\r\n');
    connection.once('data', () => {
      connection.write('250-mx.example\r\n250 STARTTLS\r\n');
      connection.once('data', () => {
        connection.write('220 2.0.0 Ready to start TLS\r\n');
        const secure = new tls.TLSSocket(connection, { isServer: true, ...certificates.server });
        secure.on('error', () => {});
        let pending = '';
        secure.on('data', (bytes: Buffer) => {
          pending += bytes.toString('latin1');
          for (let end = pending.indexOf('\r\n'); end >= 0; end = pending.indexOf('\r\n')) {
            const line = pending.slice(0, end);
            pending = pending.slice(end + 2);
            if (line.startsWith('EHLO')) secure.write('250-mx.example\r\n250 8BITMIME\r\n');
            else if (line.startsWith('QUIT')) secure.write('221 bye\r\n');
            else if (line.startsWith('MAIL') || line.startsWith('RCPT')) secure.write('250 ok\r\n');
            else if (line.startsWith('DATA')) {
              secure.write('354 go ahead\r\n');
              secure.pause(); // reads nothing more: the body stays in the client's buffers
              return;
            }
          }
        });
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  try {
    const body = `${'x'.repeat(76)}\r\n`.repeat(100_000); // ~8 MB: more than loopback buffers hold
    const error = await rejection(
      sendOneMessage({
        host: '127.0.0.1',
        port,
        ca: certificates.ca.cert,
        timeouts: { dataBlock: 500, dataTermination: 500 },
        from: 'app@example.com',
        to: ['b@example.org'],
        message: `From: app@example.com\r\nSubject: big\r\n\r\n${body}`,
      }),
    );
    expect(error.code).toBe(ErrorCodes.TIMEOUT);
    // The body was still being written (the dot never left): the data-block timeout, nothing delivered.
    expect(error.phase).toBe('body');
    expect(error.outcome).toBe('not-sent');
    // The server's end stays (it never closes); the client's socket must be gone.
    await expect.poll(() => sockets(), { timeout: 3_000 }).toBe(1);
  } finally {
    for (const connection of connections) connection.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
}, 30_000);
