/**
 * A TCP dial that never completes (the server's SYNs dropped: test/support/unanswered-dial.ts) ends
 * at the connect timeout (Timeouts.connect) as SMTP_TIMEOUT in phase connect, not-sent and
 * retryable, and leaves no socket behind — for dial() and for a send through createClient.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createClient } from '../../src/transport/client.js';
import { dial } from '../../src/transport/connect.js';
import { openTcpSockets } from '../support/open-sockets.js';
import { canHangDials, type UnansweredPort, unansweredPort } from '../support/unanswered-dial.js';
import { failure } from './dial-support.js';

let listener: UnansweredPort | undefined;
afterEach(async () => {
  await listener?.close();
  listener = undefined;
});

describe.skipIf(!canHangDials)('a dial that is never answered', () => {
  it('dial() rejects with SMTP_TIMEOUT after its timeout and destroys its socket', async () => {
    listener = await unansweredPort();
    const before = openTcpSockets();
    const started = Date.now();
    const error = await failure(
      dial({ host: '127.0.0.1', port: listener.port, implicitTls: false, tlsOptions: {}, timeout: 200 }),
    );
    expect(error).toMatchObject({
      code: 'SMTP_TIMEOUT',
      phase: 'connect',
      outcome: 'not-sent',
      retryable: true,
    });
    expect(error.message).toBe(`connecting to 127.0.0.1:${listener.port} timed out after 200 ms`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    // A destroyed socket's handle closes a turn of the event loop later.
    await expect.poll(openTcpSockets, { timeout: 1000 }).toBe(before);
  });

  it('a send through createClient fails SMTP_TIMEOUT in phase connect with timeouts.connect, nothing sent', async () => {
    listener = await unansweredPort();
    const before = openTcpSockets();
    const client = createClient({
      host: '127.0.0.1',
      port: listener.port,
      security: 'none',
      clientName: 'client.example',
      timeouts: { connect: 250 },
    });
    const started = Date.now();
    const error = await failure(
      client.send({ from: 'a@example.com', to: ['b@example.org'], message: 'Subject: x\r\n\r\nhi\r\n' }),
    );
    expect(error).toMatchObject({
      code: 'SMTP_TIMEOUT',
      phase: 'connect',
      outcome: 'not-sent',
      retryable: true,
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(240);
    await client.close();
    // A destroyed socket's handle closes a turn of the event loop later.
    await expect.poll(openTcpSockets, { timeout: 1000 }).toBe(before);
  });
});
