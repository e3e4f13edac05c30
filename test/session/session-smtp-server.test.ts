/** The Session against a real server (smtp-server on loopback), joined by a minimal plaintext transport. */

import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { encodeData } from '../../src/protocol/data-encoder.js';
import { Session } from '../../src/session/session.js';

let server: SMTPServer;
let port = 0;
const received: string[] = [];

beforeAll(async () => {
  server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    onRcptTo(address, _session, callback) {
      callback(
        address.address.startsWith('nobody@')
          ? Object.assign(new Error('no such user'), { responseCode: 550 })
          : undefined,
      );
    },
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        received.push(Buffer.concat(chunks).toString('utf8'));
        callback(null, 'Message queued as <abc123@test>');
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.server.address() as AddressInfo).port;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function open(): Promise<Session> {
  const socket = connect(port, '127.0.0.1');
  const session: Session = new Session({ clientName: 'client.example', security: 'none' }, (effect) => {
    if (effect.type === 'write') socket.write(effect.bytes);
    if (effect.type === 'writeBody') {
      socket.write(encodeData(new TextEncoder().encode(effect.body as string)).bytes);
      session.bodyFinished();
    }
    if (effect.type === 'close') socket.end();
  });
  socket.on('connect', () => session.connected());
  socket.on('data', (bytes) => session.receive(bytes));
  socket.on('close', () => session.closed());
  return session.whenReady.then(() => session);
}

describe('Session ↔ smtp-server', () => {
  test('pipelined messages with a refused recipient, then QUIT', async () => {
    const session = await open();
    expect(session.capabilities.pipelining).toBe(true);
    for (let i = 0; i < 3; i++) {
      const result = await session.send({
        from: 'a@example.com',
        to: ['b@example.org', 'nobody@example.org'],
        body: `Subject: ${i}\r\n\r\n.dot line\r\nbody ${i}\r\n`,
      });
      expect(result.accepted).toEqual(['b@example.org']);
      expect(result.rejected.map((r) => r.reply.code)).toEqual([550]);
      expect(result.messageId).toBe('abc123@test');
    }
    await session.quit();
    expect(session.ended).toBe(true);
    expect(received).toHaveLength(3);
    expect(received[0]).toContain('\r\n.dot line\r\n');
  });
});
