/**
 * examples/session-over-socket.ts on a slow but live link: a large body whose transfer takes longer
 * than the data-block timeout (RFC 5321 §4.5.3.2.5: it times each block, not the whole body) still
 * goes, because the example writes it in slices with back-pressure and reports progress for each.
 */
import { expect, it } from 'vitest';
import { sendOneMessage } from '../../examples/session-over-socket.js';
import { startScriptedServer } from '../support/scripted-server.js';
import { tlsFixtures } from '../support/tls-fixtures.js';

it('8 MB through a server that pauses 5 ms after every read of the body, with a 1 s data-block timeout: delivered', async () => {
  const fixtures = await tlsFixtures();
  const server = await startScriptedServer({ tls: fixtures.server, bodyReadPauseMs: 5 });
  try {
    const line = `${'x'.repeat(76)}\r\n`;
    const message = `From: a@example.com\r\nSubject: big\r\n\r\n${line.repeat(Math.ceil(8_000_000 / line.length))}`;
    const started = performance.now();
    const result = await sendOneMessage({
      host: '127.0.0.1',
      port: server.port,
      ca: fixtures.ca.cert,
      from: 'a@example.com',
      to: ['b@example.org'],
      message,
      timeouts: { dataBlock: 1_000 },
    });
    expect(result.accepted).toEqual(['b@example.org']);
    // The transfer took longer than one data-block timeout: each block was timed, not the whole.
    expect(performance.now() - started).toBeGreaterThan(1_000);
    expect(server.transactions).toHaveLength(1);
    expect(server.transactions[0]?.content.length).toBe(Buffer.byteLength(message));
  } finally {
    await server.close();
  }
}, 60_000);
