/**
 * The simulator behaves as SES does where the first-hour and simulator reviews found it did not: the
 * connection cap refuses only the connections over it, even in a burst; a message over one second's
 * send rate (or any, below 1 per second) goes after a pause (SES allows bursts); the Sender header
 * is an identity SES checks, an address in a comment is not; commands before AUTH are not capped
 * (smtp-server's own 421); a start that fails leaves no port listening.
 */
import { type AddressInfo, createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startSesSimulator } from '../../../src/ses/simulator/simulator.js';
import { createTestCertificates } from '../../../src/testing/certificates.js';
import { useSimulators } from './simulator-fixture.js';
import { authenticatedProbe, greetedTlsProbe, plain, SmtpProbe, sendMessage } from './smtp-probe.js';

const SUCCESS = 'success@simulator.amazonses.com';
const start = useSimulators({ verifiedIdentities: ['example.com'] });

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('the simulator as SES behaves', () => {
  it('a burst of maxConnections+1 simultaneous connections refuses only one', async () => {
    const sim = await start({ maxConnections: 2 });
    const probes = await Promise.all([0, 1, 2].map(() => SmtpProbe.open(sim.starttlsPort)));
    const greetings = await Promise.all(probes.map((p) => p.read()));
    const codes = greetings.map((g) => g.code).sort();
    for (const p of probes) p.close();
    expect(codes).toEqual([220, 220, 421]);
  });

  it('rate below 1 per second (CLI allows fractions) still lets one message through every 2 s', async () => {
    let now = 1_000_000;
    const sim = await start({ maxSendRate: 0.5, clock: () => now });
    const probe = await authenticatedProbe(sim);
    const first = await sendMessage(probe, 'me@example.com', [SUCCESS]);
    now += 5000;
    const second = await sendMessage(probe, 'me@example.com', [SUCCESS]);
    probe.close();
    expect([first.code, second.code]).toEqual([250, 250]);
  });

  it('at the sandbox rate (1/s) a 2-recipient message goes after a pause', async () => {
    let now = 1_000_000;
    const sim = await start({ maxSendRate: 1, clock: () => now });
    const probe = await authenticatedProbe(sim);
    const to = [SUCCESS, 'success+2@simulator.amazonses.com'];
    const codes: number[] = [];
    for (let i = 0; i < 3; i++) {
      now += 60_000; // a minute of silence before each try
      codes.push((await sendMessage(probe, 'me@example.com', to)).code);
    }
    probe.close();
    expect(codes).toContain(250);
  });

  it('an unverified Sender header is refused like SES (From, Source, Sender or Return-Path)', async () => {
    const sim = await start();
    const probe = await authenticatedProbe(sim);
    const body = 'From: me@example.com\r\nSender: boss@unverified.test\r\nSubject: x\r\n\r\nHi\r\n';
    const reply = await sendMessage(probe, 'me@example.com', [SUCCESS], body);
    probe.close();
    expect(reply.code).toBe(554);
  });

  it('NOOPs before AUTH do not end the session (no SES-foreign 421)', async () => {
    const sim = await start();
    const probe = await greetedTlsProbe(sim);
    const replies: string[] = [];
    for (let i = 0; i < 10; i++)
      replies.push((await probe.command('NOOP').catch(() => ({ raw: 'closed' }))).raw);
    const user = sim.users[0]!;
    replies.push(
      (await probe.command(`AUTH PLAIN ${plain(user.user, user.pass)}`).catch(() => ({ raw: 'closed' }))).raw,
    );
    probe.close();
    expect(replies.filter((r) => !r.startsWith('250'))).toEqual(['235 Authentication successful.']);
  });

  it('an address inside a From comment is not an identity', async () => {
    const sim = await start();
    const probe = await authenticatedProbe(sim);
    const body = 'From: me@example.com (on behalf of x@other.test)\r\nSubject: x\r\n\r\nHi\r\n';
    const reply = await sendMessage(probe, 'me@example.com', [SUCCESS], body);
    probe.close();
    expect(reply.raw).toMatch(/^250 Ok /);
  });

  it('a failed start (CA temp file cannot be written) leaves no port listening', async () => {
    const certificates = await createTestCertificates();
    const [starttlsPort, tlsPort] = [await freePort(), await freePort()];
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = '/nonexistent/dir';
    const failure = await startSesSimulator({ certificates, starttlsPort, tlsPort }).catch((e: unknown) => e);
    process.env.TMPDIR = saved;
    expect(failure).toBeInstanceOf(Error);
    const again = createServer();
    const bound = await new Promise<boolean>((resolve) => {
      again.once('error', () => resolve(false));
      again.listen(starttlsPort, '127.0.0.1', () => resolve(true));
    });
    if (bound) await new Promise((r) => again.close(r));
    expect(bound).toBe(true);
  });
});
