/**
 * threats.md §7 — faults on the wire: sends through a seeded fault proxy (1–3 byte re-chunking,
 * latency, cuts and resets) and the cut-point sweep (a cut after every N bytes of a whole dialogue,
 * each direction). Oracle: every send settles; the server has the message ⇒ outcome is not
 * 'not-sent'; 'not-sent' ⇒ the server has none; delivered ⇒ exactly once. No handle or listener leaks.
 */
import { getEventListeners } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmtpError } from '../../src/errors/smtp-error.js';
import { createClient } from '../../src/transport/client.js';
import {
  type Direction,
  type FaultProxyOptions,
  seededRandom,
  startFaultProxy,
} from '../support/fault-proxy.js';
import { type LenientServer, startLenientServer } from '../support/lenient-server.js';
import { type TlsFixtures, tlsFixtures } from '../support/tls-fixtures.js';

type Settled = { readonly ok: true } | { readonly ok: false; readonly error: unknown };
type Security = 'none' | 'starttls';

const TIMEOUTS = {
  connect: 3000,
  greeting: 3000,
  command: 3000,
  dataStart: 3000,
  dataBlock: 3000,
  dataTermination: 3000,
};
const SETTLE_MS = 8000;
const abort = new AbortController(); // never fired: its listeners must all be removed again
const warnings: string[] = [];
const onWarning = (warning: Error): void => {
  warnings.push(warning.name);
};

let fixtures: TlsFixtures;
let baseline: Record<string, number>;

function handles(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const name of process.getActiveResourcesInfo()) counts[name] = (counts[name] ?? 0) + 1;
  return counts;
}

beforeAll(async () => {
  fixtures = await tlsFixtures();
  process.on('warning', onWarning);
  baseline = handles();
});

afterAll(() => {
  process.off('warning', onWarning);
});

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

function messageFor(tag: string): string {
  return `From: a@example.test\r\nTo: b@example.test\r\nSubject: ${tag}\r\n\r\n.dot ${tag}\r\n`;
}

/** How often the server holds the message tagged `tag`. */
function copies(server: LenientServer, tag: string): number {
  return server.transactions.filter((t) => t.raw.toString('latin1').includes(`Subject: ${tag}\r\n`)).length;
}

/** The oracle for one send (threats.md §7). */
function checkOutcome(settled: Settled, count: number, label: string): void {
  expect(count, `${label}: duplicates`).toBeLessThanOrEqual(1);
  if (settled.ok) {
    expect(count, `${label}: delivered but the server has no copy`).toBe(1);
    return;
  }
  expect(settled.error, label).toBeInstanceOf(SmtpError);
  const outcome = (settled.error as SmtpError).outcome;
  expect(outcome, `${label}: ${(settled.error as SmtpError).code}`).not.toBe('rejected');
  if (outcome === 'not-sent') expect(count, `${label}: not-sent but the server has it`).toBe(0);
}

interface Run {
  readonly proxy: Omit<FaultProxyOptions, 'target'>;
  readonly security: Security;
  readonly pipelining: boolean;
  readonly sends: number;
  readonly tag: string;
}

/** One client through one proxy: `sends` sends in a row, then close; checks the oracle for each. */
async function runThrough(
  server: LenientServer,
  run: Run,
): Promise<{ up: number; down: number; settled: Settled[] }> {
  const proxy = await startFaultProxy({ target: server, ...run.proxy });
  const client = createClient({
    host: 'localhost',
    address: '127.0.0.1',
    port: proxy.port,
    security: run.security,
    tls: { ca: fixtures.ca.cert },
    clientName: 'client.test',
    pipelining: run.pipelining,
    timeouts: TIMEOUTS,
  });
  const settled: Settled[] = [];
  try {
    for (let index = 0; index < run.sends; index += 1) {
      const tag = `${run.tag}-${index}`;
      const send = client.send({
        from: 'a@example.test',
        to: ['b@example.test'],
        message: messageFor(tag),
        signal: abort.signal,
      });
      settled.push(
        await within(
          send.then(
            () => ({ ok: true }) as const,
            (error: unknown) => ({ ok: false, error }) as const,
          ),
          SETTLE_MS,
          `send ${tag}`,
        ),
      );
    }
    await within(client.close(), SETTLE_MS, `close ${run.tag}`);
  } finally {
    await proxy.close();
  }
  // Let the server read everything the proxy flushed before judging what it holds.
  await server.waitFor(() => server.connections.every((c) => c.isClosed), 5000);
  settled.forEach((result, index) => {
    const tag = `${run.tag}-${index}`;
    checkOutcome(result, copies(server, tag), tag);
  });
  return { up: proxy.bytes.upstream, down: proxy.bytes.downstream, settled };
}

describe('the fault proxy itself', () => {
  it('is deterministic from its seed', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const first = Array.from({ length: 8 }, a);
    expect(Array.from({ length: 8 }, b)).toEqual(first);
    expect(Array.from({ length: 8 }, seededRandom(43))).not.toEqual(first);
  });

  it('re-chunks into pieces of at most 3 bytes without changing the bytes', async () => {
    const server = await startLenientServer({ tls: fixtures.server });
    try {
      const { settled } = await runThrough(server, {
        proxy: { seed: 3, maxChunk: 3 },
        security: 'none',
        pipelining: true,
        sends: 1,
        tag: 'rechunk',
      });
      expect(settled[0]!.ok).toBe(true);
      const reads = server.connections[0]!.readSizes;
      const bytes = reads.reduce((sum, size) => sum + size, 0);
      expect(reads.length).toBeGreaterThan(bytes / 6); // reads of a piece or two, rarely more
      expect(server.transactions[0]!.raw.toString()).toBe(
        `${messageFor('rechunk-0').replace('\r\n.dot', '\r\n..dot')}.\r\n`,
      );
    } finally {
      await server.close();
    }
  });

  it('cuts after exactly N upstream bytes', async () => {
    const server = await startLenientServer();
    try {
      await runThrough(server, {
        proxy: { cut: { direction: 'upstream', after: 30, mode: 'close' } },
        security: 'none',
        pipelining: true,
        sends: 1,
        tag: 'exact',
      });
      expect(server.connections[0]!.plaintext()).toHaveLength(30);
    } finally {
      await server.close();
    }
  });
});

describe('threats §7: sends through a seeded fault proxy', () => {
  it('settles every send with an outcome that matches the server (24 seeds, 1–3 byte pieces, latency, cuts, resets)', async () => {
    const server = await startLenientServer({ tls: fixtures.server });
    try {
      let delivered = 0;
      for (let seed = 1; seed <= 24; seed += 1) {
        const random = seededRandom(seed);
        const security: Security = seed % 2 === 0 ? 'starttls' : 'none';
        const direction: Direction = random() < 0.5 ? 'upstream' : 'downstream';
        const span = security === 'starttls' ? 3500 : 500;
        const cut =
          seed % 4 === 1
            ? undefined
            : ({
                direction,
                after: Math.floor(random() * span),
                mode: random() < 0.5 ? 'close' : 'reset',
              } as const);
        const { settled } = await runThrough(server, {
          proxy: { seed, maxChunk: 3, maxLatencyMs: seed % 3, ...(cut ? { cut } : {}) },
          security,
          pipelining: seed % 3 !== 0,
          sends: 3,
          tag: `seed-${seed}`,
        });
        if (cut === undefined)
          expect(
            settled.every((s) => s.ok),
            `seed ${seed} without faults`,
          ).toBe(true);
        delivered += settled.filter((s) => s.ok).length;
      }
      expect(delivered).toBeGreaterThan(0);
    } finally {
      await server.close();
    }
  });
});

describe('threats §7: cut-point sweep', () => {
  for (const pipelining of [true, false]) {
    it(`cuts after every N bytes, upstream and downstream (pipelining ${pipelining})`, async () => {
      const server = await startLenientServer({
        capabilities: ['PIPELINING', '8BITMIME', 'ENHANCEDSTATUSCODES'],
      });
      try {
        const clean = await runThrough(server, {
          proxy: {},
          security: 'none',
          pipelining,
          sends: 1,
          tag: `sweep-${pipelining}-clean`,
        });
        expect(clean.settled[0]!.ok).toBe(true);
        const totals: Record<Direction, number> = { upstream: clean.up, downstream: clean.down };
        const seen = { delivered: 0, unknown: 0, notSent: 0 };
        for (const direction of ['upstream', 'downstream'] as const) {
          for (let after = 0; after < totals[direction]; after += 1) {
            const { settled } = await runThrough(server, {
              proxy: { cut: { direction, after, mode: after % 2 === 0 ? 'close' : 'reset' } },
              security: 'none',
              pipelining,
              sends: 1,
              tag: `sweep-${pipelining}-${direction}-${after}`,
            });
            const result = settled[0]!;
            if (result.ok) seen.delivered += 1;
            else if ((result.error as SmtpError).outcome === 'unknown') seen.unknown += 1;
            else seen.notSent += 1;
          }
        }
        // The sweep really crossed each region: before the dot, between dot and reply, after the reply.
        expect(seen.notSent).toBeGreaterThan(0);
        expect(seen.unknown).toBeGreaterThan(0);
        expect(seen.delivered).toBeGreaterThan(0);
      } finally {
        await server.close();
      }
    });
  }
});

describe('no leaks', () => {
  it('leaves no socket, server, timer or abort listener behind once everything is closed', async () => {
    const grown = (): string[] => {
      const now = handles();
      return Object.keys(now).filter((name) => (now[name] ?? 0) > (baseline[name] ?? 0));
    };
    const deadline = Date.now() + 3000;
    while (grown().length > 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect(grown(), JSON.stringify({ baseline, now: handles() })).toEqual([]);
    expect(getEventListeners(abort.signal, 'abort')).toHaveLength(0);
    expect(warnings).not.toContain('MaxListenersExceededWarning');
  });
});
