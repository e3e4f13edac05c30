/**
 * examples/session-over-socket.ts — the README's "driving the Session yourself" — run for real
 * against the local SES simulator on 127.0.0.1: STARTTLS with the simulator's test CA, AUTH with its
 * derived credentials, DATA, QUIT. Its failure paths go through the same wiring: a refused password,
 * a refused connection, a dial never answered and a certificate the client does not trust.
 */
import * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { sendOneMessage } from '../../examples/session-over-socket.js';
import { ErrorCodes } from '../../src/errors/codes.js';
import { type SesSimulator, startSesSimulator } from '../../src/ses/simulator/simulator.js';
import { canHangDials, unansweredPort } from '../support/unanswered-dial.js';
import { rejection, sockets, stubbornServer } from './session-example-support.js';

let sim: SesSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const MESSAGE =
  'From: app@example.com\r\nTo: success@simulator.amazonses.com\r\nSubject: Hi\r\n\r\n.Hello.\r\n';

async function start(): Promise<SesSimulator & { user: { user: string; pass: string } }> {
  sim = await startSesSimulator({ verifiedIdentities: ['example.com'] });
  const user = sim.users[0];
  if (!user) throw new Error('simulator without users');
  return Object.assign(sim, { user });
}

const toStub = (port: number) => ({
  host: '127.0.0.1',
  port,
  from: 'app@example.com',
  to: ['b@example.org'],
  message: MESSAGE,
});

describe('examples/session-over-socket.ts', () => {
  it('delivers one message over STARTTLS and AUTH, the body dot-stuffed on the wire and restored', async () => {
    const server = await start();
    const result = await sendOneMessage({
      host: server.host,
      port: server.starttlsPort,
      ca: server.caPem,
      auth: server.user,
      from: 'app@example.com',
      to: ['success@simulator.amazonses.com'],
      message: MESSAGE,
    });
    expect(result.accepted).toEqual(['success@simulator.amazonses.com']);
    expect(result.rejected).toEqual([]);
    expect(result.messageId).toBe(server.messages[0]?.id);
    expect(server.messages).toHaveLength(1);
    expect(new TextDecoder().decode(server.messages[0]?.raw)).toBe(MESSAGE);
    // The connection ended with QUIT: nothing is left open on the simulator.
    await expect.poll(() => server.stats.active).toBe(0);
  });

  it('a refused password (535) rejects the send as a permanent refusal, and nothing is delivered', async () => {
    const server = await start();
    const error = await rejection(
      sendOneMessage({
        host: server.host,
        port: server.starttlsPort,
        ca: server.caPem,
        auth: { user: server.user.user, pass: `${server.user.pass}x` },
        from: 'app@example.com',
        to: ['success@simulator.amazonses.com'],
        message: MESSAGE,
      }),
    );
    expect(error.code).toBe(ErrorCodes.AUTH_FAILED);
    expect(error.outcome).toBe('rejected');
    expect(error.reply?.code).toBe(535);
    expect(server.messages).toHaveLength(0);
  });

  it('a port nobody listens on rejects the send, not-sent, with the socket error as the cause', async () => {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as net.AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    const error = await rejection(
      sendOneMessage({
        host: '127.0.0.1',
        port,
        from: 'app@example.com',
        to: ['b@example.org'],
        message: MESSAGE,
      }),
    );
    expect(error.code).toBe(ErrorCodes.CONNECTION_FAILED);
    expect(error.phase).toBe('connect');
    expect(error.outcome).toBe('not-sent');
    expect((error.cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
  });

  it.skipIf(!canHangDials)(
    'a dial never answered: SMTP_TIMEOUT after timeouts.connect, as createClient says, and no socket left',
    async () => {
      const listener = await unansweredPort();
      try {
        const before = sockets();
        const started = Date.now();
        const error = await rejection(
          sendOneMessage({ ...toStub(listener.port), timeouts: { connect: 250 } }),
        );
        expect(error).toMatchObject({
          code: ErrorCodes.TIMEOUT,
          phase: 'connect',
          outcome: 'not-sent',
          retryable: true,
          message: `connecting to 127.0.0.1:${listener.port} timed out after 250 ms`,
        });
        expect(Date.now() - started).toBeGreaterThanOrEqual(240);
        await expect.poll(sockets, { timeout: 1000 }).toBe(before);
      } finally {
        await listener.close();
      }
    },
  );

  it('a server that answers 421 and then keeps the connection open: the example leaves no socket half-open', async () => {
    // The server neither closes nor reads on: only a client that lets go of its socket (destroy) ends
    // the connection; its kernel then answers the server's next write with a reset.
    const server = await stubbornServer((connection) => {
      connection.write('421 4.3.2 Service not available, closing transmission channel\r\n');
      const poke = setInterval(() => connection.write('250 still here\r\n'), 20);
      connection.on('close', () => clearInterval(poke));
    });
    try {
      const error = await rejection(sendOneMessage(toStub(server.port)));
      expect(error.code).toBe(ErrorCodes.SERVICE_UNAVAILABLE);
      await expect.poll(() => server.closed, { timeout: 2_000 }).toBe(true);
    } finally {
      await server.close();
    }
  });

  it('a server that takes STARTTLS and then never handshakes: the command timeout ends it, and the socket goes', async () => {
    const server = await stubbornServer((connection) => {
      connection.write('220 mx.example ESMTP\r\n');
      let started = false;
      connection.on('data', (bytes) => {
        const text = bytes.toString('latin1');
        if (started) return; // the ClientHello: never answered
        if (text.startsWith('EHLO')) connection.write('250-mx.example\r\n250 STARTTLS\r\n');
        if (text.startsWith('STARTTLS')) {
          started = true;
          connection.write('220 2.0.0 Ready to start TLS\r\n');
        }
      });
    });
    try {
      const error = await rejection(sendOneMessage({ ...toStub(server.port), timeouts: { command: 300 } }));
      expect(error.code).toBe(ErrorCodes.TIMEOUT);
      expect(error.phase).toBe('tls');
      expect(error.outcome).toBe('not-sent');
      await expect.poll(() => server.ended, { timeout: 2_000 }).toBe(true);
      // The server keeps its side open (allowHalfOpen): its socket is the only one left in this process.
      await expect.poll(() => sockets(), { timeout: 2_000 }).toBe(1);
    } finally {
      await server.close();
    }
  });

  it('a certificate from a CA the client does not trust fails the TLS upgrade before AUTH', async () => {
    const server = await start();
    const error = await rejection(
      sendOneMessage({
        host: server.host,
        port: server.starttlsPort,
        auth: server.user,
        from: 'app@example.com',
        to: ['success@simulator.amazonses.com'],
        message: MESSAGE,
      }),
    );
    expect(error.code).toBe(ErrorCodes.TLS_FAILED);
    expect(error.phase).toBe('tls');
    expect(error.outcome).toBe('not-sent');
    expect(server.messages).toHaveLength(0);
  });
});
