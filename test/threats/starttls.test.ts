/**
 * threats.md §1 — STARTTLS: response injection (CVE-2011-0411, CVE-2021-38371), stripping
 * (CVE-2016-0772), nothing written between STARTTLS and the handshake, and capabilities forgotten
 * after TLS (RFC 3207 §4.2). End to end through createClient; the server records the raw bytes.
 */
import { describe, expect, it } from 'vitest';
import { createClient, type SmtpClient } from '../../src/transport/client.js';
import { harness, MESSAGE, rejection, verbs } from '../support/client-harness.js';
import { type LenientServer, startLenientServer } from '../support/lenient-server.js';
import type { ScriptedServer } from '../support/scripted-server.js';
import { tlsFixtures } from '../support/tls-fixtures.js';

const envelope = { from: 'a@example.test', to: ['b@example.test'], message: MESSAGE };
const auth = { user: 'starttls-user', pass: 'starttls-pass' };
const NAME = 'client.test';
const PLAINTEXT = `EHLO ${NAME}\r\nSTARTTLS\r\n`;

/** Bytes the server got in plaintext, and whether any byte at all followed. */
function plaintextOf(server: ScriptedServer): string {
  const connection = server.connections[0]!;
  return Buffer.concat(connection.chunks.filter((c) => !c.secure).map((c) => c.bytes)).toString('latin1');
}

async function closedBy(server: ScriptedServer): Promise<void> {
  await server.waitFor(() => server.connections[0]?.isClosed === true);
}

describe('threats §1: STARTTLS response injection fails closed', () => {
  const injections: readonly (readonly [string, string])[] = [
    ['whole lines after the 220 in the same write', '220 Go ahead\r\n250-evil\r\n250 AUTH PLAIN'],
    [
      'a whole fake post-TLS session after the 220',
      '220 Go ahead\r\n220 fake ESMTP\r\n250-fake.test\r\n250-AUTH PLAIN LOGIN\r\n250 PIPELINING\r\n235 2.7.0 ok\r\n250 2.1.0 ok\r\n250 2.1.5 ok\r\n354 go',
    ],
  ];
  for (const [name, reply] of injections) {
    it(`defends against ${name}: SMTP_STARTTLS_INJECTION, nothing after STARTTLS`, async () => {
      const { server, client } = await harness(
        { overrides: { STARTTLS: reply } },
        { auth, clientName: NAME },
      );
      const error = await rejection(client.send(envelope));
      expect(error).toMatchObject({ code: 'SMTP_STARTTLS_INJECTION', outcome: 'not-sent' });
      await closedBy(server);
      // Not a single byte after STARTTLS: no ClientHello, no AUTH, no MAIL.
      expect(server.connections[0]!.received().toString('latin1')).toBe(PLAINTEXT);
      expect(server.connections[0]!.discardedAfterStartTls).toHaveLength(0);
    });
  }

  it('defends against a CRLF-less fragment after the 220 (220 Go<CRLF>25): SMTP_STARTTLS_INJECTION', async () => {
    const { server, client } = await harness(
      {
        overrides: {
          STARTTLS: (_line, connection) => {
            connection.write('220 Go\r\n25');
            return null;
          },
        },
      },
      { auth, clientName: NAME },
    );
    const error = await rejection(client.send(envelope));
    expect(error.code).toBe('SMTP_STARTTLS_INJECTION');
    await closedBy(server);
    expect(server.connections[0]!.received().toString('latin1')).toBe(PLAINTEXT);
  });

  it('defends against injected bytes that arrive after the handshake began: TLS fails, no post-TLS reply is read', async () => {
    const fixtures = await tlsFixtures();
    const server: LenientServer = await startLenientServer({
      tls: { key: fixtures.server.key, cert: fixtures.server.cert },
      capabilities: ['AUTH PLAIN'],
      reply: (line, connection) => {
        if (line !== 'STARTTLS') return undefined;
        connection.writeRaw('220 Go ahead\r\n');
        setTimeout(() => connection.writeRaw('250-evil\r\n250 AUTH PLAIN\r\n235 ok\r\n'), 20);
        return null; // stays in plaintext: the client's ClientHello is never answered with TLS
      },
    });
    const client: SmtpClient = createClient({
      host: 'localhost',
      address: '127.0.0.1',
      port: server.port,
      tls: { ca: fixtures.ca.cert },
      auth,
      clientName: NAME,
      timeouts: { connect: 2000, command: 2000 },
    });
    try {
      const error = await rejection(client.send(envelope));
      expect(['SMTP_TLS_FAILED', 'SMTP_STARTTLS_INJECTION']).toContain(error.code);
      expect(error.outcome).toBe('not-sent');
      const lines = server.connections[0]!.lines.map((l) => l.line);
      expect(lines.slice(0, 2)).toEqual([`EHLO ${NAME}`, 'STARTTLS']);
      expect(lines.some((l) => /^(AUTH|MAIL|RCPT|DATA)\b/.test(l))).toBe(false);
    } finally {
      await server.close();
      await client.close();
    }
  });
});

describe('threats §1: STARTTLS stripping never falls back to plaintext', () => {
  it('defends against a stripped STARTTLS capability: SMTP_TLS_REQUIRED, only EHLO (then QUIT) written', async () => {
    const { server, client } = await harness(
      { capabilities: ['PIPELINING', 'AUTH PLAIN LOGIN', '8BITMIME'] },
      { auth, clientName: NAME },
    );
    const error = await rejection(client.send(envelope));
    expect(error).toMatchObject({ code: 'SMTP_TLS_REQUIRED', outcome: 'not-sent' });
    await closedBy(server);
    // QUIT before the close (RFC 5321 §4.1.1.10): it carries nothing, and nothing else follows.
    expect(server.connections[0]!.received().toString('latin1')).toBe(`EHLO ${NAME}\r\nQUIT\r\n`);
  });

  for (const reply of ['454 4.7.0 TLS not available due to temporary reason', '502 5.5.1 Not implemented']) {
    it(`defends against STARTTLS refused with ${reply.slice(0, 3)}: fails, only EHLO and STARTTLS (then QUIT) written`, async () => {
      const { server, client } = await harness(
        { overrides: { STARTTLS: reply } },
        { auth, clientName: NAME },
      );
      const error = await rejection(client.send(envelope));
      expect(error.phase).toBe('starttls');
      expect(error.reply?.code).toBe(Number(reply.slice(0, 3)));
      expect(error.code).toBe('SMTP_TLS_REQUIRED');
      expect(error.outcome).not.toBe('unknown'); // 4xx not-sent, 5xx rejected: nothing was sent either way
      await closedBy(server);
      expect(server.connections[0]!.received().toString('latin1')).toBe(`${PLAINTEXT}QUIT\r\n`);
    });
  }

  for (const reply of ['500 5.5.1 Command unrecognized', '502 5.5.2 EHLO not implemented']) {
    it(`defends against EHLO refused (${reply.slice(0, 3)}) with TLS required: no HELO fallback, only EHLO (then QUIT) written`, async () => {
      const { server, client } = await harness({ overrides: { EHLO: reply } }, { auth, clientName: NAME });
      const error = await rejection(client.send(envelope));
      // EHLO_REFUSED names the cause; what matters is that HELO (no STARTTLS) is never tried.
      expect(error.code).toBe('SMTP_EHLO_REFUSED');
      expect(error.outcome).not.toBe('unknown');
      expect(error.phase).toBe('ehlo');
      await closedBy(server);
      expect(verbs(server)).toEqual(['EHLO', 'QUIT']);
      expect(server.connections[0]!.received().toString('latin1')).toBe(`EHLO ${NAME}\r\nQUIT\r\n`);
    });
  }

  it('defends against a handshake failure after 220: no plaintext fallback, no AUTH (TLS_FAILED)', async () => {
    const fixtures = await tlsFixtures();
    const { server, client } = await harness({ tls: fixtures.untrusted }, { auth, clientName: NAME });
    const error = await rejection(client.send(envelope));
    expect(error.code).toBe('SMTP_TLS_FAILED');
    await closedBy(server);
    expect(plaintextOf(server)).toBe(PLAINTEXT);
    expect(server.connections[0]!.commands.map((c) => c.verb)).toEqual(['EHLO', 'STARTTLS']);
  });
});

describe('threats §1: nothing is written between STARTTLS and the handshake', () => {
  it('writes STARTTLS alone even with PIPELINING offered, and nothing follows it in plaintext', async () => {
    const { server, client } = await harness(
      { capabilities: ['PIPELINING', 'STARTTLS', 'AUTH PLAIN LOGIN', '8BITMIME'] },
      { auth, clientName: NAME },
    );
    await client.send(envelope);
    const connection = server.connections[0]!;
    expect(plaintextOf(server)).toBe(PLAINTEXT);
    expect(connection.discardedAfterStartTls).toHaveLength(0);
    expect(connection.tlsError).toBeUndefined();
    const startTls = connection.commands.find((c) => c.verb === 'STARTTLS')!;
    expect(connection.chunks[startTls.chunk]!.bytes.toString('latin1')).toBe('STARTTLS\r\n');
    expect(connection.commands.filter((c) => c.secure).map((c) => c.verb)).toEqual(
      expect.arrayContaining(['EHLO', 'AUTH', 'MAIL', 'RCPT', 'DATA']),
    );
    expect(server.transactions).toHaveLength(1);
  });
});

describe('threats §1: capabilities learned before TLS are forgotten (RFC 3207 §4.2)', () => {
  it('pre-TLS PIPELINING / AUTH LOGIN, post-TLS AUTH PLAIN only: lock-step and AUTH PLAIN', async () => {
    const { server, client } = await harness(
      { capabilities: ['PIPELINING', 'STARTTLS', 'AUTH LOGIN'], capabilitiesAfterTls: ['AUTH PLAIN'] },
      { auth, clientName: NAME },
    );
    await client.send(envelope);
    const secure = server.connections[0]!.commands.filter((c) => c.secure);
    expect(secure.map((c) => c.verb)).toEqual(['EHLO', 'AUTH', 'MAIL', 'RCPT', 'DATA']);
    expect(secure[1]!.line).toMatch(/^AUTH PLAIN /);
    // Lock-step: every command arrived in its own read.
    const envelopeChunks = secure.slice(2).map((c) => c.chunk);
    expect(new Set(envelopeChunks).size).toBe(envelopeChunks.length);
  });

  it('pre-TLS AUTH PLAIN, post-TLS AUTH LOGIN only: uses LOGIN', async () => {
    const { server, client } = await harness(
      { capabilities: ['STARTTLS', 'AUTH PLAIN'], capabilitiesAfterTls: ['AUTH LOGIN'] },
      { auth, clientName: NAME },
    );
    await client.send(envelope);
    const authLine = server.connections[0]!.commands.find((c) => c.verb === 'AUTH')!;
    expect(authLine.line).toMatch(/^AUTH LOGIN/);
  });

  it('pre-TLS AUTH PLAIN, post-TLS no AUTH: refuses (SMTP_AUTH_MECHANISM_UNSUPPORTED), writes no AUTH', async () => {
    const { server, client } = await harness(
      { capabilities: ['STARTTLS', 'AUTH PLAIN LOGIN'], capabilitiesAfterTls: ['PIPELINING'] },
      { auth, clientName: NAME },
    );
    const error = await rejection(client.send(envelope));
    expect(error.code).toBe('SMTP_AUTH_MECHANISM_UNSUPPORTED');
    await closedBy(server);
    expect(verbs(server)).toEqual(['EHLO', 'STARTTLS', 'EHLO', 'QUIT']);
  });

  it('pre-TLS SIZE 100 and 8BITMIME, post-TLS SIZE 100000 without 8BITMIME: sizes and 8-bit follow post-TLS', async () => {
    const { server, client } = await harness(
      { capabilities: ['STARTTLS', 'SIZE 100', '8BITMIME'], capabilitiesAfterTls: ['SIZE 100000'] },
      { clientName: NAME },
    );
    const big = `Subject: size\r\n\r\n${'y'.repeat(300)}\r\n`;
    await client.send({ ...envelope, message: big });
    const mail = server.connections[0]!.commands.find((c) => c.verb === 'MAIL')!;
    expect(mail.line).not.toMatch(/BODY=8BITMIME/);
    const error = await rejection(client.send({ ...envelope, message: 'Subject: x\r\n\r\nna\u00efve\r\n' }));
    expect(error.code).toBe('SMTP_8BIT_NOT_SUPPORTED');
    expect(server.transactions).toHaveLength(1);
  });
});
