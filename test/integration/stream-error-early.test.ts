/**
 * A caller's stream body that fails before the body phase — `fs.createReadStream` of a missing file
 * (ENOENT on the next tick), or a source that errors while its send waits out a retry back-off — must
 * reject that send (SMTP_MESSAGE_STREAM_FAILED) and never surface as an uncaught 'error' event, which
 * would end the host process. Through createClient and createPool.
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPool } from '../../src/delivery/pool.js';
import { harness, rejection } from '../support/client-harness.js';
import { startScriptedServer } from '../support/scripted-server.js';

const envelope = { from: 'a@example.test', to: ['b@example.test'] };
const uncaught: unknown[] = [];
const onUncaught = (error: unknown): void => {
  uncaught.push(error);
};
beforeEach(() => {
  uncaught.length = 0;
  process.on('uncaughtException', onUncaught);
});
afterEach(() => {
  process.off('uncaughtException', onUncaught);
});

/** A Readable that errors `afterMs` from now, before anyone reads it. */
function failingLater(afterMs: number): Readable {
  const stream = new Readable({ read() {} });
  setTimeout(() => stream.destroy(new Error('upstream failed')), afterMs);
  return stream;
}

describe('a stream body that errors before it is read', () => {
  it('createClient, a missing file: the send rejects, nothing is uncaught', async () => {
    const { client } = await harness();
    const message = createReadStream('/nonexistent/definitely-missing.eml');
    const error = await rejection(client.send({ ...envelope, message }));
    expect(error).toMatchObject({ code: 'SMTP_MESSAGE_STREAM_FAILED', outcome: 'not-sent' });
    expect(uncaught).toEqual([]);
  });

  it('createPool, a missing file: the send rejects, nothing is uncaught', async () => {
    const server = await startScriptedServer({});
    const pool = createPool({ host: '127.0.0.1', port: server.port, security: 'none' });
    try {
      const message = createReadStream('/nonexistent/definitely-missing.eml');
      const error = await rejection(pool.send({ ...envelope, message }));
      expect(error).toMatchObject({ code: 'SMTP_MESSAGE_STREAM_FAILED' });
      expect(uncaught).toEqual([]);
    } finally {
      await pool.close({ deadlineMs: 200 });
      await server.close();
    }
  });

  it('createPool, a stream that errors while its send waits out a back-off: nothing is uncaught', async () => {
    const server = await startScriptedServer({ overrides: { MAIL: '451 4.3.0 try later' } });
    const pool = createPool({
      host: '127.0.0.1',
      port: server.port,
      security: 'none',
      retry: { delaysMs: [300], maxAttempts: 2 },
    });
    try {
      const sending = rejection(pool.send({ ...envelope, message: failingLater(100) }));
      const error = await sending;
      expect(error.code).toMatch(/^SMTP_(MESSAGE_STREAM_FAILED|TRANSIENT_FAILURE|SENDER_REJECTED)$/);
      expect(uncaught).toEqual([]);
    } finally {
      await pool.close({ deadlineMs: 200 });
      await server.close();
    }
  });
});
