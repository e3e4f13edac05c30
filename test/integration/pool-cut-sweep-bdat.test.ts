/**
 * The pool cut-point sweep (pool-cut-sweep.test.ts) over BDAT (RFC 3030): a server offering
 * CHUNKING, pipelined (the envelope and `BDAT n LAST` with its bytes in one flight) and lock-step. A
 * proxy cuts the first connection after N bytes upstream, and separately downstream, for every N
 * over a two-message dialogue (and, pipelined, a four-message one, where the pool's one connection
 * is shared: three messages ride on it together); later connections pass, and retries are on. Invariants against what
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

const BOTH = ['upstream', 'downstream'] as const;
/** Per server: the sweeps run (direction, messages); four messages only where the connection is shared. */
const SWEEPS: Record<string, [Direction, number][]> = {
  pipelined: [2, 4].flatMap((count) => BOTH.map((d): [Direction, number] => [d, count])),
  'lock-step': BOTH.map((d): [Direction, number] => [d, 2]),
};

for (const [name, capabilities] of Object.entries(CAPABILITIES)) {
  describe(`pool cut-point sweep over BDAT, ${name}`, () => {
    let server: ScriptedServer;
    beforeAll(async () => {
      server = await startScriptedServer({ capabilities });
    });
    afterAll(() => server.close());

    async function dialogue(
      messages: number,
      run: string,
      cut: { direction: Direction; after: number } | undefined,
    ) {
      const { settled, forwarded } = await cutDialogue(server.port, run, cut, { messages });
      const observed = settled.map((result, k) => {
        const copies = copiesOf(server, run, k);
        if (result.status === 'fulfilled') return { outcome: 'delivered', copies };
        if (!(result.reason instanceof SmtpError)) throw result.reason;
        return { outcome: result.reason.outcome, copies, code: result.reason.code };
      });
      return { observed, forwarded };
    }

    for (const [direction, count] of SWEEPS[name] ?? []) {
      it(`${count} messages, cut ${direction} after every N: delivered once, or unknown with at most one copy`, async () => {
        const reference = await dialogue(count, `r${count}0000`, undefined);
        expect(reference.observed.map((o) => o.outcome)).toEqual(
          Array.from({ length: count }, () => 'delivered'),
        );
        expect(server.transactions.at(-1)?.via).toBe('BDAT');
        const total = Buffer.concat(reference.forwarded[0]?.[direction] ?? []).length;
        const bad: string[] = [];
        for (let n = 0; n <= total; n++) {
          const run = `${direction[0]}${count}${String(n).padStart(4, '0')}`;
          const { observed } = await dialogue(count, run, { direction, after: n });
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
