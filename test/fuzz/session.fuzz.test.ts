/**
 * Whole-session fuzz (imapflow style): a loopback server (fuzz-server.ts) answers the real client
 * from a generated script (session-scenario.ts) — random codes, multi-line and malformed replies
 * split at random, closes, silences and floods, replies to a pipelined group written one by one or
 * as one write (so the client takes them as one read, the machine's reply-group step) — with tiny
 * timeouts, over DATA or over BDAT (`BDAT n LAST`, riding behind the pipelined envelope or after the
 * RCPT replies, RFC 3030), binary bodies as BODY=BINARYMIME (RFC 3030 §3), and STARTTLS (RFC 3207)
 * in each security mode: a real TLS upgrade with other capabilities after it, refused, with bytes
 * injected behind the 220, or a handshake that fails.
 * Invariants: no unhandled rejection, every send settles (once, with a SendResult or an SmtpError),
 * 'unknown' only after the server received the final dot (or LAST chunk), success only after a 2xx
 * to it, close() settles, and nothing is written after it (threats.md §6, §7); and nothing the
 * client writes breaks an extension's or STARTTLS's rules (threats.md §1; the server's
 * `violations`): only what the current EHLO offered (after TLS, the post-TLS EHLO), BINARYMIME only
 * over BDAT and octet for octet, nothing but STARTTLS/EHLO/QUIT in plaintext when TLS is required,
 * no AUTH in plaintext, nothing but the handshake after a 220, nothing at all after an injected one.
 */
import type * as net from 'node:net';
import * as tls from 'node:tls';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createPool } from '../../src/delivery/pool.js';
import { SmtpError } from '../../src/errors/smtp-error.js';
import type { SendResult } from '../../src/session/types.js';
import { type ClientEvent, type ClientOptions, createClient } from '../../src/transport/client.js';
import { tlsFixtures } from '../support/tls-fixtures.js';
import { fuzzParameters, testTimeout } from './fuzz-options.js';
import { newObserved, type Observed, type ServerTls, startServer } from './fuzz-server.js';
import { type Scenario, scenarioArb } from './session-scenario.js';

const FAST = { connect: 300, greeting: 50, command: 50, dataStart: 50, dataBlock: 50, dataTermination: 50 };
/**
 * For the fixed cases below, none of which waits for a timeout: a loaded machine must not turn a TLS
 * handshake (certificate checks included) that takes longer than FAST's 50 ms into SMTP_TIMEOUT.
 */
const STEADY = {
  connect: 5000,
  greeting: 5000,
  command: 5000,
  dataStart: 5000,
  dataBlock: 5000,
  dataTermination: 5000,
};

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

type Outcome =
  | { readonly ok: true; readonly result: Pick<SendResult, 'reply' | 'accepted'> }
  | { readonly ok: false; readonly error: unknown };

interface Run {
  readonly to: readonly string[];
  readonly settled: readonly Outcome[];
  readonly observed: Observed;
}

/**
 * One client against one fuzz server, every send settled and close() done. With `viaPool` the sends
 * go through a pool of one connection without retries (createPool): the first alone, the others handed
 * to the busy pipelining connection as it frees room (connection-slot.ts), so the same invariants
 * hold for what the pool hands over and when.
 */
async function play(scenario: Scenario, serverTls: ServerTls, ca: string, timeouts = FAST): Promise<Run> {
  const observed = newObserved();
  const server = await startServer(scenario, observed, serverTls);
  const port = (server.address() as net.AddressInfo).port;
  let closeResolved = false;
  const logger = (event: ClientEvent): void => {
    // Client-side, so exact: a command the client wrote after close() resolved.
    if (closeResolved && event.type === 'transcript' && event.direction === 'client')
      observed.violations.push(`client wrote ${JSON.stringify(event.text)} after close()`);
  };
  try {
    const options = {
      host: '127.0.0.1',
      port,
      security: scenario.security,
      tls: { ca },
      clientName: 'client.example',
      timeouts,
      ...(scenario.transcript ? { logger } : {}),
      pipelining: scenario.pipelining,
      chunking: scenario.chunking,
      ...(scenario.withAuth ? { auth: { user: 'u', pass: 'p' } } : {}),
      ...(scenario.withAuth && scenario.security === 'none' ? { dangerouslyAllowAuthWithoutTls: true } : {}),
    } satisfies ClientOptions;
    const client = scenario.viaPool
      ? createPool({ ...options, maxConnections: 1, retry: false })
      : createClient(options);
    const to = Array.from({ length: scenario.recipients }, (_v, i) => `r${i}@example.net`);
    const sends = scenario.messages.map(({ message, binary }) =>
      client.send({ from: 'f@example.com', to, message, ...(binary ? { binary } : {}) }).then(
        (result): Outcome => ({ ok: true, result }),
        (error: unknown): Outcome => ({ ok: false, error }),
      ),
    );
    if (scenario.closeEarly) void client.close();
    const settled = await within(Promise.all(sends), 5000, 'a send');
    await within(client.close(), 5000, 'close()');
    closeResolved = true;
    // What the client wrote before close() resolved may still be unread (a failure after a stall of
    // the event loop runs in the timers phase, before the poll phase reads): one poll phase first.
    await new Promise((resolve) => setImmediate(resolve));
    observed.clientClosed = true;
    await new Promise((resolve) => setTimeout(resolve, 20));
    return { to, settled, observed };
  } finally {
    for (const socket of observed.sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
}

function checkInvariants({ to, settled, observed }: Run): void {
  let successes = 0;
  let unknowns = 0;
  for (const outcome of settled) {
    if (outcome.ok) {
      successes++;
      expect(outcome.result.reply.code).toBeGreaterThanOrEqual(200);
      expect(outcome.result.reply.code).toBeLessThan(300);
      for (const accepted of outcome.result.accepted) expect(to).toContain(accepted);
    } else {
      expect(outcome.error).toBeInstanceOf(SmtpError);
      if ((outcome.error as SmtpError).outcome === 'unknown') unknowns++;
    }
  }
  // Success needs a 2xx to a final dot; 'unknown' needs a dot the server got.
  const positiveDots = observed.dots.filter((reply) => reply !== null && /^2/.test(reply)).length;
  expect(successes).toBeLessThanOrEqual(positiveDots);
  expect(successes + unknowns).toBeLessThanOrEqual(observed.dots.length + observed.unansweredLast);
  // And the other way (no silent duplicate): a dot the server answered 2xx is a success or
  // 'unknown' — never 'not-sent' (a retry would send it again) or 'rejected'; a 2xx that
  // contradicts the server's own refusal of that envelope delivers nothing.
  expect(positiveDots - observed.contradicted).toBeLessThanOrEqual(successes + unknowns);
  // Nothing the client wrote broke an extension's or STARTTLS's rules, nor came after close().
  expect(observed.violations).toEqual([]);
  expect(observed.bytesAfterClose).toBe(0);
  expect(unhandled).toEqual([]);
}

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

/** Every keyword offered before and after TLS; no fault: the deepest session a scenario can give. */
const GENEROUS = {
  pipelining: true,
  chunking: true,
  binaryMime: true,
  eightBitMime: true,
  size: true,
  auth: true,
  startTls: false,
};
const happy = (overrides: Partial<Scenario>): Scenario => ({
  actions: [],
  messages: [
    { message: 'hello\r\n', binary: false },
    { message: Uint8Array.from([0x00, 0x0a, 0x0d, 0xff, 0x2e, 0x0d, 0x0a]), binary: true },
  ],
  recipients: 2,
  withAuth: true,
  pipelining: true,
  chunking: true,
  closeEarly: false,
  batchReplies: false,
  security: 'starttls',
  offer: GENEROUS,
  offerAfterTls: GENEROUS,
  tls: ['upgrade'],
  refuseBinary: false,
  transcript: true,
  viaPool: false,
  ...overrides,
});

describe('whole-session fuzz', () => {
  let serverTls: ServerTls;
  let ca: string;
  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    const fixtures = await tlsFixtures();
    ca = fixtures.ca.cert;
    serverTls = {
      trusted: tls.createSecureContext({ key: fixtures.server.key, cert: fixtures.server.cert }),
      untrusted: tls.createSecureContext({ key: fixtures.untrusted.key, cert: fixtures.untrusted.cert }),
    };
  });
  afterAll(() => {
    process.off('unhandledRejection', onUnhandled);
  });

  // The harness reaches what the fuzz is about (a real upgrade, BINARYMIME delivered after it), and
  // its checks see what they are meant to: a fuzz whose sessions all stop early proves nothing.
  test('the fault-free scenario goes deep: STARTTLS, AUTH and a text and a binary message over TLS', async () => {
    const run = await play(happy({}), serverTls, ca, STEADY);
    checkInvariants(run);
    expect(run.observed.upgrades).toBe(1);
    expect(run.settled.map((outcome) => outcome.ok)).toEqual([true, true]);
  });

  test('starttls-opportunistic without AUTH: a refused STARTTLS goes on in plaintext (RFC 3207 §4.1)', async () => {
    const scenario = happy({ security: 'starttls-opportunistic', withAuth: false, tls: ['refuse-454'] });
    const run = await play(scenario, serverTls, ca, STEADY);
    checkInvariants(run);
    expect(run.observed.upgrades).toBe(0);
    expect(run.settled.map((outcome) => outcome.ok)).toEqual([true, true]);
  });

  const failures: readonly { name: string; overrides: Partial<Scenario>; code: string }[] = [
    { name: 'STARTTLS refused, TLS required', overrides: { tls: ['refuse-454'] }, code: 'SMTP_TLS_REQUIRED' },
    {
      name: 'STARTTLS not offered, TLS required, no AUTH',
      overrides: { tls: ['not-offered'], withAuth: false },
      code: 'SMTP_TLS_REQUIRED',
    },
    { name: 'bytes behind the 220', overrides: { tls: ['inject-lines'] }, code: 'SMTP_STARTTLS_INJECTION' },
    {
      name: 'an untrusted certificate',
      overrides: { tls: ['handshake-untrusted'] },
      code: 'SMTP_TLS_FAILED',
    },
    {
      name: 'BINARYMIME offered only before TLS',
      overrides: { offerAfterTls: { ...GENEROUS, binaryMime: false } },
      code: 'SMTP_BINARY_NOT_SUPPORTED',
    },
  ];
  test.each(failures)(
    '$name: the binary send fails with $code, and the rules hold',
    async ({ overrides, code }) => {
      const scenario = happy({
        ...overrides,
        messages: [{ message: Uint8Array.from([0, 1]), binary: true }],
      });
      const run = await play(scenario, serverTls, ca, STEADY);
      checkInvariants(run);
      expect(run.settled[0]).toMatchObject({ ok: false, error: { code } });
    },
  );

  test(
    'every send settles with a result or an SmtpError; outcomes agree with what the server saw; the client keeps the rules; close is final',
    async () => {
      await fc.assert(
        fc.asyncProperty(scenarioArb, async (scenario) =>
          checkInvariants(await play(scenario, serverTls, ca)),
        ),
        fuzzParameters(),
      );
    },
    testTimeout(),
  );
});
