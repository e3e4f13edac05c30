/**
 * Back-pressure from the socket to the caller's stream: while the server reads nothing, the client
 * pulls only what the socket's buffers take (a block at a time, waiting for 'drain'), not the whole
 * body into memory. A hand-written server (not the scripted one) so that it can stop reading.
 */
import { once } from 'node:events';
import * as net from 'node:net';
import { describe, expect, it } from 'vitest';
import { createClient } from '../../src/index.js';

const MB = 1024 * 1024;
const BODY_MB = 96;

/** Greets, answers EHLO/MAIL/RCPT/DATA, then stops reading after the 354 until `resume()`; 250 at the dot. */
async function stallingServer(): Promise<{
  port: number;
  stalled: Promise<void>;
  resume(): void;
  close(): void;
}> {
  let resumeReading = (): void => {};
  let signalStalled = (): void => {};
  const stalled = new Promise<void>((resolve) => {
    signalStalled = resolve;
  });
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.write('220 stall.test ESMTP\r\n');
    let buffered = '';
    let inData = false;
    let tail = '';
    socket.on('data', (chunk: Buffer) => {
      if (inData) {
        // Only the end matters: the terminator may straddle chunks.
        tail = (tail + chunk.toString('latin1')).slice(-5);
        if (tail.endsWith('\r\n.\r\n')) {
          inData = false;
          socket.write('250 2.0.0 queued\r\n');
        }
        return;
      }
      buffered += chunk.toString('latin1');
      for (let end = buffered.indexOf('\r\n'); end !== -1; end = buffered.indexOf('\r\n')) {
        const line = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO') socket.write('250-stall.test\r\n250-PIPELINING\r\n250 SIZE 1000000000\r\n');
        else if (verb === 'MAIL' || verb === 'RCPT') socket.write('250 2.1.0 ok\r\n');
        else if (verb === 'QUIT') socket.end('221 2.0.0 bye\r\n');
        else if (verb === 'DATA') {
          socket.write('354 go ahead\r\n');
          inData = true;
          socket.pause();
          resumeReading = () => socket.resume();
          signalStalled();
          return;
        } else socket.write('500 5.5.2 what\r\n');
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  return {
    port,
    stalled,
    resume: () => resumeReading(),
    close: () => {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

describe('back-pressure', () => {
  it(`a ${BODY_MB} MB stream to a server that stops reading: the client pulls a few MB, then waits; all of it goes once the server reads`, async () => {
    const server = await stallingServer();
    const client = createClient({
      host: '127.0.0.1',
      port: server.port,
      security: 'none',
      clientName: 'client.test',
      maxMessageSize: 2 * BODY_MB * MB,
      timeouts: { dataBlock: 60_000 },
    });
    let pulled = 0;
    const line = Buffer.from(`${'x'.repeat(78)}\r\n`, 'latin1');
    const block = Buffer.concat(Array.from({ length: (64 * 1024) / line.length }, () => line));
    async function* body(): AsyncGenerator<Uint8Array> {
      yield Buffer.from('Subject: big\r\n\r\n');
      while (pulled < BODY_MB * MB) {
        pulled += block.length;
        yield block;
      }
    }
    try {
      const sent = client.send({ from: 'a@client.test', to: 'b@client.test', message: body() });
      await server.stalled;
      await new Promise((resolve) => setTimeout(resolve, 750));
      // Kernel buffers on loopback take a few MB; without back-pressure the whole body is pulled at once.
      expect(pulled).toBeLessThan((BODY_MB * MB) / 3);
      server.resume();
      const result = await sent;
      expect(result.accepted).toEqual(['b@client.test']);
      expect(pulled).toBeGreaterThanOrEqual(BODY_MB * MB);
    } finally {
      await client.close().catch(() => {});
      server.close();
    }
  }, 30_000);
});
