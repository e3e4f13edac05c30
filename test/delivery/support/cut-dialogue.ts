/**
 * One run of the pool cut-point sweeps (test/integration/pool-cut-sweep*.test.ts): a pool with
 * retries (1 ms back-off) sends `messages` tagged messages to `target` through a proxy that cuts the
 * first connection as `cut` says; later connections pass. Tags are fixed-width, so every run's
 * dialogue has the reference run's byte offsets.
 */
import { createPool } from '../../../src/delivery/pool.js';
import type { PoolSendResult } from '../../../src/delivery/send-job.js';
import type { ScriptedServer } from '../../support/scripted-server.js';
import { type CutProxyOptions, startCutProxy } from './cut-proxy.js';

export const tag = (run: string, k: number) => `${run}-m${k}`;

export async function cutDialogue(
  target: number,
  run: string,
  cut: CutProxyOptions['cut'],
  options: { readonly messages?: number; readonly atLeastOnce?: boolean } = {},
) {
  const proxy = await startCutProxy({ target: { host: '127.0.0.1', port: target }, ...(cut ? { cut } : {}) });
  const pool = createPool({
    host: '127.0.0.1',
    port: proxy.port,
    security: 'none',
    clientName: 'client.test',
    maxConnections: 1,
    idleTimeoutMs: 60_000,
    retry: { delaysMs: [1, 1, 1] },
    atLeastOnce: options.atLeastOnce ?? false,
  });
  const settled: PromiseSettledResult<PoolSendResult>[] = await Promise.allSettled(
    Array.from({ length: options.messages ?? 2 }, (_, k) =>
      pool.send({
        from: 'sender@example.test',
        to: [`rcpt${k}@example.test`],
        message: `Subject: ${tag(run, k)}\r\n\r\nbody of ${tag(run, k)}\r\n`,
      }),
    ),
  );
  await pool.close({ deadlineMs: 2_000 });
  await proxy.close();
  return { settled, forwarded: proxy.forwarded };
}

/** Transactions the server accepted (250 to the end of the body) carrying message `k` of `run`. */
export const copiesOf = (server: ScriptedServer, run: string, k: number): number =>
  server.transactions.filter(
    (t) => t.reply?.startsWith('250') && t.content.toString().includes(`Subject: ${tag(run, k)}\r\n`),
  ).length;
