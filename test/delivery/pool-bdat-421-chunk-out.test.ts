/**
 * A pipelining + CHUNKING server answers a RCPT 421 and yet takes the `BDAT n LAST` chunk that
 * rode with the envelope (against RFC 5321 §3.8, but seen in a fault-injection review): the send is
 * 'unknown', and the pool does not send it again. It used to fail not-sent at once on the 421, and
 * the pool delivered the message a second time, with `mayDuplicate: false`.
 * test/session/bdat-421-behind-chunk.test.ts has the session's side, and the server that keeps its
 * word (it closes after the 421 without a reply to the chunk: not-sent, so the pool retries).
 */
import { afterEach, expect, it } from 'vitest';
import { createPool } from '../../src/index.js';
import { type ScriptedServer, startScriptedServer } from '../support/scripted-server.js';

let server: ScriptedServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function run() {
  let first = true;
  server = await startScriptedServer({
    capabilities: ['PIPELINING', '8BITMIME', 'CHUNKING'],
    overrides: {
      RCPT: (line, connection, fallback) => {
        if (first && /b@/.test(line)) {
          first = false;
          setImmediate(() => connection.close());
          return '421 4.3.2 shutting down';
        }
        return fallback();
      },
    },
  });
  const pool = createPool({
    host: '127.0.0.1',
    port: server.port,
    security: 'none',
    clientName: 'client.test',
    maxConnections: 1,
    retry: { delaysMs: [1] },
  });
  const outcome = await pool
    .send({
      from: 's@example.test',
      to: ['a@example.test', 'b@example.test'],
      message: 'Subject: x\r\n\r\nx\r\n',
    })
    .then(
      (result) => ({ ok: true as const, result }),
      (error: unknown) => ({ ok: false as const, error }),
    );
  await pool.close();
  const delivered = server.transactions.filter((t) => t.reply?.startsWith('250')).length;
  return { outcome, delivered };
}

it("the chunk taken after the 421: 'unknown', delivered once, not sent again", async () => {
  const { outcome, delivered } = await run();
  expect(delivered).toBe(1);
  expect(outcome).toMatchObject({ ok: false, error: { outcome: 'unknown' } });
});
