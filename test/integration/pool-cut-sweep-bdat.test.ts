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
import { SmtpError } from '../../src/errors/smtp-error.js';
import { copiesOf, cutDialogue } from '../delivery/support/cut-dialogue.js';
import type { Direction } from '../delivery/support/cut-proxy.js';
import { type ScriptedServer, startScriptedServer } from '../support/scripted-server.js';

const CAPABILITIES: Record<string, string[]> = {
  pipelined: ['PIPELINING', '8BITMIME', 'CHUNKING', 'SIZE 100000', 'ENHANCEDSTATUSCODES'],
  'lock-step': ['8BITMIME', 'CHUNKING', 'SIZE 100000', 'ENHANCEDSTATUSCODES'],
};

for (const [name, capabilities] of Object.entries(CAPABILITIES)) {
  describe(`pool cut-point sweep over BDAT, ${name}`, () => {
    let server: ScriptedServer;
    beforeAll(async () => {
      server = await startScriptedServer({ capabilities });
    });
    afterAll(() => server.close());

    async function dialogue(run: string, cut: { direction: Direction; after: number } | undefined) {
      const { settled, forwarded } = await cutDialogue(server.port, run, cut);
      const observed = settled.map((result, k) => {
        const copies = copiesOf(server, run, k);
        if (result.status === 'fulfilled') return { outcome: 'delivered', copies };
        if (!(result.reason instanceof SmtpError)) throw result.reason;
        return { outcome: result.reason.outcome, copies, code: result.reason.code };
      });
      return { observed, forwarded };
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
