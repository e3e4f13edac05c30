/**
 * The pool cut-point sweep (pool-cut-sweep.test.ts) over BDAT (RFC 3030): a server offering
 * CHUNKING, pipelined (the envelope and `BDAT n LAST` with its bytes in one flight) and lock-step. A
 * proxy cuts the first connection after N bytes upstream, and separately downstream, for every N
 * over a two-message dialogue; later connections pass, and retries are on. Invariants against what
 * the server accepted: a send is delivered exactly once, or its outcome is 'unknown' with at most
 * one copy on the server — never 'not-sent' or 'rejected' (the retry covers those), never a
 * silent duplicate.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool } from '../../src/delivery/pool.js';
import { SmtpError } from '../../src/errors/smtp-error.js';
import { type Direction, startCutProxy } from '../delivery/support/cut-proxy.js';
import { type ScriptedServer, startScriptedServer } from '../support/scripted-server.js';

const CAPABILITIES: Record<string, string[]> = {
  pipelined: ['PIPELINING', '8BITMIME', 'CHUNKING', 'SIZE 100000', 'ENHANCEDSTATUSCODES'],
  'lock-step': ['8BITMIME', 'CHUNKING', 'SIZE 100000', 'ENHANCEDSTATUSCODES'],
};
/** Fixed width, so every run's dialogue has the same byte offsets as the reference run. */
const tag = (run: string, k: number) => `${run}-m${k}`;

for (const [name, capabilities] of Object.entries(CAPABILITIES)) {
  describe(`pool cut-point sweep over BDAT, ${name}`, () => {
    let server: ScriptedServer;
    beforeAll(async () => {
      server = await startScriptedServer({ capabilities });
    });
    afterAll(() => server.close());

    async function dialogue(run: string, cut: { direction: Direction; after: number } | undefined) {
      const proxy = await startCutProxy({
        target: { host: '127.0.0.1', port: server.port },
        ...(cut ? { cut } : {}),
      });
      const pool = createPool({
        host: '127.0.0.1',
        port: proxy.port,
        security: 'none',
        clientName: 'client.test',
        maxConnections: 1,
        idleTimeoutMs: 60_000,
        retry: { delaysMs: [1, 1, 1] },
      });
      const settled = await Promise.allSettled(
        [0, 1].map((k) =>
          pool.send({
            from: 'sender@example.test',
            to: [`rcpt${k}@example.test`],
            message: `Subject: ${tag(run, k)}\r\n\r\nbody of ${tag(run, k)}\r\n`,
          }),
        ),
      );
      await pool.close({ deadlineMs: 2_000 });
      await proxy.close();
      const observed = settled.map((result, k) => {
        const copies = server.transactions.filter(
          (t) => t.reply?.startsWith('250') && t.content.toString().includes(`Subject: ${tag(run, k)}\r\n`),
        ).length;
        if (result.status === 'fulfilled') return { outcome: 'delivered', copies };
        if (!(result.reason instanceof SmtpError)) throw result.reason;
        return { outcome: result.reason.outcome, copies, code: result.reason.code };
      });
      return { observed, forwarded: proxy.forwarded };
    }

    for (const direction of ['upstream', 'downstream'] as const) {
      it(`cut ${direction} after every N: delivered once, or unknown with at most one copy`, async () => {
        const reference = await dialogue('r000', undefined);
        expect(reference.observed.map((o) => o.outcome)).toEqual(['delivered', 'delivered']);
        expect(server.transactions.at(-1)?.via).toBe('BDAT');
        const total = Buffer.concat(reference.forwarded[0]?.[direction] ?? []).length;
        const bad: string[] = [];
        for (let n = 0; n <= total; n++) {
          const run = `${direction[0]}${String(n).padStart(3, '0')}`;
          const { observed } = await dialogue(run, { direction, after: n });
          observed.forEach((o, k) => {
            const fine =
              (o.outcome === 'delivered' && o.copies === 1) || (o.outcome === 'unknown' && o.copies <= 1);
            if (!fine) bad.push(`${run} m${k}: ${JSON.stringify(o)}`);
          });
        }
        expect(bad).toEqual([]);
      }, 120_000);
    }
  });
}
