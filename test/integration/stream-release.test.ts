/**
 * A caller's stream body whose upstream stalls (a slow file system, a paused pipe): when the send ends
 * without it — here the data-block timeout (RFC 5321 §4.5.3.2) — the stream is destroyed, so its file
 * handle or upstream socket is released, through createClient and through createPool.
 */
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createPool } from '../../src/delivery/pool.js';
import { harness, rejection } from '../support/client-harness.js';
import { startScriptedServer } from '../support/scripted-server.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** One chunk of message, then nothing, ever. */
function stallingStream(): Readable {
  let reads = 0;
  return new Readable({
    read() {
      if (++reads === 1) this.push(Buffer.from('Subject: s\r\n\r\nfirst line\r\n'));
    },
  });
}

describe('a stalled stream body is released when the send ends', () => {
  it('createClient: SMTP_TIMEOUT not-sent, and the stream is destroyed', async () => {
    const { client } = await harness({}, { timeouts: { dataBlock: 150 } });
    const stream = stallingStream();
    const error = await rejection(
      client.send({ from: 'a@example.test', to: ['b@example.test'], message: stream }),
    );
    expect(error).toMatchObject({ code: 'SMTP_TIMEOUT', outcome: 'not-sent' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(stream.destroyed).toBe(true);
  });

  it('createPool: the same through the pool (which wraps the stream to track its use)', async () => {
    const server = await startScriptedServer({});
    cleanups.push(() => server.close());
    const pool = createPool({
      host: '127.0.0.1',
      port: server.port,
      security: 'none',
      timeouts: { dataBlock: 150 },
    });
    cleanups.push(() => pool.close({ deadlineMs: 200 }));
    const stream = stallingStream();
    const error = await pool.send({ from: 'a@example.test', to: 'b@example.test', message: stream }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'SMTP_TIMEOUT', outcome: 'not-sent' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(stream.destroyed).toBe(true);
  });
});
