/**
 * A pipelining + CHUNKING server answers MAIL 421 and closes without reading the `BDAT n LAST`
 * chunk behind it: its kernel then resets the connection (unread data). The send is not-sent with
 * the 421 — replies come in command order, so the chunk was never taken — and a pool retries it.
 * (The session reads on after such a 421 to learn whether the chunk was taken after all; a reset
 * alone is no sign of that.) Found by the third reading of this change.
 */
import * as net from 'node:net';
import { afterEach, expect, test } from 'vitest';
import { createClient } from '../../src/transport/client.js';

const servers: net.Server[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});

test('421 to MAIL, then a reset with the chunk unread: not-sent, with the 421', async () => {
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    let text = '';
    let stage = 0;
    socket.on('data', (bytes) => {
      text += bytes.toString('latin1');
      if (stage === 0 && text.includes('EHLO')) {
        stage = 1;
        text = '';
        socket.write('250-mx\r\n250-PIPELINING\r\n250 CHUNKING\r\n');
      } else if (stage === 1 && text.includes('MAIL FROM')) {
        stage = 2;
        socket.pause(); // the chunk stays unread
        setTimeout(() => {
          socket.write('421 4.3.2 shutting down\r\n');
          setTimeout(() => socket.destroy(), 5);
        }, 50);
      }
    });
    socket.write('220 mx ESMTP\r\n');
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const client = createClient({ host: '127.0.0.1', port, security: 'none', clientName: 'client.example' });
  // Large enough that much of it is still unread when the server goes: the reset is certain.
  const body = Buffer.alloc(3_000_000, 'a'.charCodeAt(0));
  for (let i = 70; i + 1 < body.length; i += 72) {
    body[i] = 13;
    body[i + 1] = 10;
  }
  const error = await client.send({ from: 'a@example.test', to: ['b@example.test'], message: body }).then(
    () => undefined,
    (e: unknown) => e,
  );
  await client.close();
  expect(error).toMatchObject({ code: 'SMTP_SERVICE_UNAVAILABLE', outcome: 'not-sent', phase: 'mail' });
});
