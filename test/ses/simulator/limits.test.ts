import { describe, expect, it } from 'vitest';
import { useSimulators } from './simulator-fixture.js';
import { authenticatedProbe, SmtpProbe, sendMessage } from './smtp-probe.js';

const SUCCESS = 'success@simulator.amazonses.com';
const start = useSimulators({ verifiedIdentities: ['example.com'] });

function recipients(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `success+${i}@simulator.amazonses.com`);
}

describe('sandbox identities (554 at the final dot)', () => {
  it('refuses an unverified sender, naming it and the region', async () => {
    const sim = await start({ region: 'eu-west-1' });
    const probe = await authenticatedProbe(sim);
    const reply = await sendMessage(probe, 'me@unverified.test', [SUCCESS]);
    expect(reply.raw).toBe(
      '554 Message rejected: Email address is not verified. The following identities failed the check in region EU-WEST-1: me@unverified.test',
    );
    expect(sim.messages).toHaveLength(0);
    expect(sim.stats.rejected['not-verified']).toBe(1);
    probe.close();
  });

  it('lists the sender, an unverified From header and unverified recipients once each', async () => {
    const sim = await start();
    const probe = await authenticatedProbe(sim);
    const body = 'From: "Boss @ Corp" <boss@other.test>\r\nSubject: x\r\n\r\nHi\r\n';
    const reply = await sendMessage(
      probe,
      'me@unverified.test',
      ['you@nowhere.test', SUCCESS, 'you@nowhere.test'],
      body,
    );
    expect(reply.code).toBe(554);
    expect(reply.lines[0]).toMatch(
      /in region US-EAST-1: me@unverified\.test, boss@other\.test, you@nowhere\.test$/,
    );
    probe.close();
  });

  it('accepts verified domains (and subdomains), verified addresses and mailbox simulator recipients', async () => {
    const sim = await start({ verifiedIdentities: ['example.com', 'friend@elsewhere.test'] });
    const probe = await authenticatedProbe(sim);
    const to = ['friend@elsewhere.test', 'x@mail.example.com', 'bounce+tag@simulator.amazonses.com', SUCCESS];
    expect((await sendMessage(probe, 'me@example.com', to)).code).toBe(250);
    probe.close();
  });

  it('outside the sandbox only the sender must be verified', async () => {
    const sim = await start({ sandbox: false });
    const probe = await authenticatedProbe(sim);
    expect((await sendMessage(probe, 'me@example.com', ['anyone@anywhere.test'])).code).toBe(250);
    expect((await sendMessage(probe, 'me@unverified.test', ['anyone@anywhere.test'])).code).toBe(554);
    probe.close();
  });
});

describe('limits at the final dot', () => {
  it('refuses more than maxRecipients recipients with 554 at the final dot', async () => {
    const sim = await start();
    const probe = await authenticatedProbe(sim);
    expect((await sendMessage(probe, 'me@example.com', recipients(50))).code).toBe(250);
    expect((await sendMessage(probe, 'me@example.com', recipients(51))).raw).toBe(
      '554 Transaction failed: Recipient count exceeds 50.',
    );
    probe.close();
  });

  it('refuses a message over maxMessageSize with 552 Message is too long.', async () => {
    const sim = await start({ maxMessageSize: 1000 });
    const probe = await authenticatedProbe(sim);
    const header = 'From: me@example.com\r\n\r\n';
    const fits = header + 'x'.repeat(1000 - header.length - 2) + '\r\n';
    expect((await sendMessage(probe, 'me@example.com', [SUCCESS], fits)).code).toBe(250);
    expect((await sendMessage(probe, 'me@example.com', [SUCCESS], `${fits}y\r\n`)).raw).toBe(
      '552 Message is too long.',
    );
    expect(sim.messages).toHaveLength(1);
    probe.close();
  });

  it('throttles over maxSendRate per recipient with 454, and frees up a second later', async () => {
    let now = 1_000_000;
    const sim = await start({ maxSendRate: 3, clock: () => now });
    const probe = await authenticatedProbe(sim);
    expect((await sendMessage(probe, 'me@example.com', recipients(2))).code).toBe(250);
    expect((await sendMessage(probe, 'me@example.com', recipients(2))).raw).toBe(
      '454 Throttling failure: Maximum sending rate exceeded',
    );
    expect((await sendMessage(probe, 'me@example.com', recipients(1))).code).toBe(250);
    now += 1000;
    expect((await sendMessage(probe, 'me@example.com', recipients(3))).code).toBe(250);
    expect(sim.stats.rejected['max-send-rate']).toBe(1);
    probe.close();
  });

  it('enforces a rolling 24 h daily quota per recipient with 454', async () => {
    let now = 0;
    const sim = await start({ dailyQuota: 3, clock: () => now });
    const probe = await authenticatedProbe(sim);
    expect((await sendMessage(probe, 'me@example.com', recipients(2))).code).toBe(250);
    now = 12 * 3600_000;
    expect((await sendMessage(probe, 'me@example.com', recipients(1))).code).toBe(250);
    expect((await sendMessage(probe, 'me@example.com', recipients(1))).raw).toBe(
      '454 Throttling failure: Daily message quota exceeded',
    );
    now = 24 * 3600_000 + 1; // the first two have left the window, the third has not
    expect((await sendMessage(probe, 'me@example.com', recipients(3))).code).toBe(454);
    expect((await sendMessage(probe, 'me@example.com', recipients(2))).code).toBe(250);
    probe.close();
  });
});

describe('connection limits', () => {
  it('refuses connections over maxConnections with 421 at greeting and closes', async () => {
    const sim = await start({ maxConnections: 2 });
    const first = await SmtpProbe.open(sim.starttlsPort);
    const second = await SmtpProbe.open(sim.tlsPort, { tls: { ca: sim.caPem } });
    expect((await first.read()).code).toBe(220);
    expect((await second.read()).code).toBe(220);
    const third = await SmtpProbe.open(sim.starttlsPort);
    expect((await third.read()).raw).toBe('421 Too many concurrent SMTP connections');
    await third.closed;
    expect(sim.stats.rejected['too-many-connections']).toBe(1);
    first.close();
    await first.closed;
    await expect.poll(() => sim.stats.active).toBe(1);
    const fourth = await SmtpProbe.open(sim.starttlsPort);
    expect((await fourth.read()).code).toBe(220);
    second.close();
    fourth.close();
  });

  it('counts a STARTTLS connection as closed once it is (smtp-server swaps its socket at the upgrade)', async () => {
    const sim = await start({ maxConnections: 1 });
    for (let round = 0; round < 3; round++) {
      const probe = await authenticatedProbe(sim);
      expect(sim.stats.active).toBe(1);
      probe.close();
      await probe.closed;
      await expect.poll(() => sim.stats.active).toBe(0);
    }
    expect(sim.stats.rejected['too-many-connections']).toBe(0);
  });

  it('closes an idle connection with 451 4.4.2 Timeout waiting for data from client', async () => {
    const sim = await start({ idleTimeoutMs: 300 });
    const probe = await SmtpProbe.open(sim.starttlsPort);
    await probe.read();
    expect((await probe.command('EHLO client.test')).code).toBe(250);
    const started = Date.now();
    expect((await probe.read()).raw).toBe('451 4.4.2 Timeout waiting for data from client');
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    await probe.closed;
    expect(sim.stats.rejected['idle-timeout']).toBe(1);
  });

  it('ends a session after maxMessagesPerSession messages with 421 at the next MAIL', async () => {
    const sim = await start({ maxMessagesPerSession: 2 });
    const probe = await authenticatedProbe(sim);
    expect((await sendMessage(probe, 'me@example.com', [SUCCESS])).code).toBe(250);
    expect((await sendMessage(probe, 'me@example.com', [SUCCESS])).code).toBe(250);
    expect((await probe.command('MAIL FROM:<me@example.com>')).raw).toBe(
      '421 Connection closed by server. Maximum message count per session reached.',
    );
    await probe.closed;
    const next = await authenticatedProbe(sim);
    expect((await sendMessage(next, 'me@example.com', [SUCCESS])).code).toBe(250);
    next.close();
  });
});
