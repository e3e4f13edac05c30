/**
 * Interop with a real Postfix smtpd (private instance): STARTTLS (RFC 3207) with certificate
 * verification against a test CA, delivery end to end into a Maildir, per-recipient refusals,
 * SIZE (RFC 1870), a TLS-required server, and CHUNKING (RFC 3030: Postfix ≥ 3.4 offers it, so every
 * message here goes as BDAT unless `chunking: false`) with PIPELINING (RFC 2920).
 */
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { createPool } from '../../src/delivery/pool.js';
import type { PoolEvent } from '../../src/delivery/pool-events.js';
import { ErrorCodes } from '../../src/errors/codes.js';
import type { ClientOptions } from '../../src/transport/client-options.js';
import { failure, recordedClient, settle, success } from '../support/servers/client-fixture.js';
import { warnIfUnavailable } from '../support/servers/harness.js';
import * as postfix from '../support/servers/postfix.js';
import { startProxy } from '../support/servers/recording-proxy.js';
import { type TlsFixtures, tlsFixtures } from '../support/tls-fixtures.js';

const availability = postfix.available();
warnIfUnavailable('Postfix smtpd', availability);

const DOMAIN = postfix.POSTFIX_DOMAIN;
const REFUSED = `refused@${DOMAIN}`;

describe.skipIf(!availability.ok)('Postfix smtpd', () => {
  let tls: TlsFixtures;
  let server: postfix.RunningPostfix;
  let strict: postfix.RunningPostfix;
  const clients: { close(): Promise<void> }[] = [];

  beforeAll(async () => {
    tls = await tlsFixtures();
    [server, strict] = await Promise.all([
      postfix.start({ tls: tls.server, rejectRecipients: [REFUSED] }),
      postfix.start({ tls: tls.server, requireTls: true, messageSizeLimit: 4000 }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([server?.stop(), strict?.stop()]);
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close().catch(() => undefined)));
  });

  /** What every client here uses: STARTTLS to 127.0.0.1 with the test CA, a generous command timeout. */
  const baseOptions = (port: number) =>
    ({
      host: 'localhost',
      address: '127.0.0.1',
      port,
      security: 'starttls',
      tls: { ca: tls.ca.cert },
      clientName: 'client.example',
      timeouts: { command: 10_000 },
    }) as const;

  function clientFor(port: number, options: Partial<ClientOptions> = {}) {
    const recorded = recordedClient({ ...baseOptions(port), ...options });
    clients.push(recorded.client);
    return recorded;
  }

  function delivered(port: number, count: number) {
    return (port === server.port ? server : strict).delivered(count);
  }

  test('STARTTLS with a verified certificate; the message is delivered intact over ESMTPS', async () => {
    const before = (await server.delivered(0)).length;
    const { client, verbs } = clientFor(server.port);
    const body = 'Subject: postfix interop\r\n\r\n.leading dot\r\n..two dots\r\ncaf\u00e9\r\n';
    const result = success(
      await settle(client, { from: 'sender@example.com', to: [`inbox@${DOMAIN}`], message: body }),
    );
    expect(result.reply.code).toBe(250);
    expect(result.reply.lines[0]).toMatch(/queued as [0-9A-F]+/);
    expect(verbs().slice(0, 3)).toEqual(['EHLO', 'STARTTLS', 'EHLO']);
    const messages = await delivered(server.port, before + 1);
    const text = messages[before]?.bytes.toString('utf8') ?? '';
    expect(text).toMatch(/with ESMTPS id/);
    expect(text).toContain('Subject: postfix interop\n');
    expect(text.endsWith('\n\n.leading dot\n..two dots\ncaf\u00e9\n')).toBe(true);
  });

  test('an untrusted certificate fails the handshake: nothing is sent, no MAIL in plaintext', async () => {
    const { client, verbs } = clientFor(server.port, { tls: {} }); // Node's public roots: our CA is unknown
    const error = failure(
      await settle(client, { from: 'sender@example.com', to: [`inbox@${DOMAIN}`], message: 'x\r\n' }),
    );
    expect(error).toMatchObject({ code: ErrorCodes.TLS_FAILED, outcome: 'not-sent' });
    expect(verbs()).not.toContain('MAIL');
  });

  test('a host name the certificate does not name fails verification', async () => {
    const { client } = clientFor(server.port, { host: 'mail.example.org' });
    const error = failure(
      await settle(client, { from: 'sender@example.com', to: [`inbox@${DOMAIN}`], message: 'x\r\n' }),
    );
    expect(error.code).toBe(ErrorCodes.TLS_FAILED);
  });

  test('one refused recipient: the others are accepted and the message is delivered once', async () => {
    const before = (await server.delivered(0)).length;
    const { client } = clientFor(server.port);
    const result = success(
      await settle(client, {
        from: 'sender@example.com',
        to: [`first@${DOMAIN}`, REFUSED, `second@${DOMAIN}`],
        message: 'Subject: partial\r\n\r\nhello\r\n',
      }),
    );
    expect(result.accepted).toEqual([`first@${DOMAIN}`, `second@${DOMAIN}`]);
    expect(result.rejected.map((r) => [r.recipient, r.reply.code])).toEqual([[REFUSED, 554]]);
    // Both accepted recipients share one Maildir: two deliveries of the one transaction.
    expect(await delivered(server.port, before + 2)).toHaveLength(before + 2);
  });

  test('every recipient refused: ALL_RECIPIENTS_REJECTED, rejected, nothing delivered', async () => {
    const before = (await server.delivered(0)).length;
    const { client } = clientFor(server.port);
    const error = failure(
      await settle(client, { from: 'sender@example.com', to: [REFUSED], message: 'x\r\n' }),
    );
    expect(error).toMatchObject({ code: ErrorCodes.ALL_RECIPIENTS_REJECTED, outcome: 'rejected' });
    expect(await server.delivered(0)).toHaveLength(before);
  });

  test('a TLS-required server refuses MAIL in plaintext with 530 (security "none")', async () => {
    const before = (await strict.delivered(0)).length;
    const { client, transcript } = clientFor(strict.port, { security: 'none' });
    const error = failure(
      await settle(client, { from: 'sender@example.com', to: [`inbox@${DOMAIN}`], message: 'x\r\n' }),
    );
    expect(error.reply?.code).toBe(530);
    expect(error.outcome).toBe('rejected');
    // DATA may ride in the pipelined group (RFC 2920); it must have been refused, not answered 354.
    expect(transcript.some((line) => line.startsWith('S: 354'))).toBe(false);
    expect(await strict.delivered(0)).toHaveLength(before);
  });

  test('SIZE: a body over the advertised limit is refused before MAIL; a small one goes', async () => {
    const { client, verbs } = clientFor(strict.port);
    const big = `Subject: big\r\n\r\n${'x'.repeat(900)}\r\n`.repeat(6);
    const error = failure(
      await settle(client, { from: 'sender@example.com', to: [`inbox@${DOMAIN}`], message: big }),
    );
    expect(error).toMatchObject({ code: ErrorCodes.MESSAGE_TOO_LARGE, outcome: 'not-sent' });
    expect(verbs()).not.toContain('MAIL');
    success(await settle(client, { from: 'sender@example.com', to: [`inbox@${DOMAIN}`], message: 'x\r\n' }));
    const mail = verbs().indexOf('MAIL');
    expect(mail).toBeGreaterThan(-1);
    expect(await strict.delivered(1)).toHaveLength(1);
  });
  describe('CHUNKING (RFC 3030) with PIPELINING', () => {
    const unique = (name: string) => `${name}-${Math.random().toString(36).slice(2, 10)}`;
    /**
     * The delivered messages with exactly this Subject, once at least `count` are there (or 5 s passed)
     * and a further 250 ms brought no more: a duplicate delivered a little later would show.
     */
    const deliveredWith = async (port: number, subject: string, count = 1) => {
      const instance = port === server.port ? server : strict;
      const matching = async () =>
        (await instance.delivered(0)).filter((m) =>
          m.bytes.toString('utf8').includes(`Subject: ${subject}\n`),
        );
      const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
      for (let waited = 0; waited < 100 && (await matching()).length < count; waited++) await pause(50);
      await pause(250);
      return matching();
    };

    test('a body of known size goes as one BDAT n LAST behind the pipelined envelope, byte for byte', async () => {
      const { client, verbs, transcript } = clientFor(server.port);
      const subject = unique('bdat');
      // Leading dots are not stuffed with BDAT, 8-bit needs BODY=8BITMIME, a bare "." line is data.
      const body = `Subject: ${subject}\r\n\r\n.leading dot\r\n.\r\n..two\r\ncaf\u00e9\r\n`;
      const result = success(
        await settle(client, { from: 'sender@example.com', to: [`inbox@${DOMAIN}`], message: body }),
      );
      expect(result.reply.lines[0]).toMatch(new RegExp(`${Buffer.byteLength(body)} bytes queued as`));
      expect(verbs()).toContain('BDAT');
      expect(verbs()).not.toContain('DATA');
      expect(transcript.find((line) => line.startsWith('C: MAIL'))).toContain('BODY=8BITMIME');
      const [message] = await deliveredWith(server.port, subject);
      expect(message?.bytes.toString('utf8').endsWith('\n\n.leading dot\n.\n..two\ncaf\u00e9\n')).toBe(true);
    });

    test('a stream of unknown size goes as several BDAT chunks, the last one LAST, and arrives intact', async () => {
      const { client, transcript } = clientFor(server.port);
      const subject = unique('chunks');
      const line = `${'x'.repeat(70)}\r\n`;
      const lines = Array.from({ length: 4000 }, (_, i) => (i % 7 === 0 ? `.${line}` : line));
      const message = Readable.from([`Subject: ${subject}\r\n\r\n`, ...lines]);
      success(await settle(client, { from: 'sender@example.com', to: [`inbox@${DOMAIN}`], message }));
      const bdats = transcript.filter((t) => t.startsWith('C: BDAT'));
      expect(bdats.length).toBeGreaterThan(1);
      expect(bdats.at(-1)).toMatch(/ LAST$/);
      expect(bdats.slice(0, -1).every((t) => !t.endsWith('LAST'))).toBe(true);
      const [delivered] = await deliveredWith(server.port, subject);
      expect(delivered?.bytes.toString('utf8').endsWith(lines.join('').replaceAll('\r\n', '\n'))).toBe(true);
    });

    test('a refusal in the middle of the flight (every RCPT refused, BDAT already sent): rejected, nothing delivered, the next message goes', async () => {
      const { client, verbs } = clientFor(server.port);
      const subject = unique('refused');
      const refused = settle(client, {
        from: 'sender@example.com',
        to: [REFUSED],
        message: `Subject: ${subject}\r\n\r\nnever\r\n`,
      });
      const next = settle(client, {
        from: 'sender@example.com',
        to: [`inbox@${DOMAIN}`],
        message: `Subject: ${subject}-next\r\n\r\nafter\r\n`,
      });
      const error = failure(await refused);
      expect(error).toMatchObject({ code: ErrorCodes.ALL_RECIPIENTS_REJECTED, outcome: 'rejected' });
      success(await next);
      expect(verbs().filter((verb) => verb === 'BDAT')).toHaveLength(2);
      expect(verbs().filter((verb) => verb === 'EHLO')).toHaveLength(2); // one connection
      expect(await deliveredWith(server.port, `${subject}-next`)).toHaveLength(1);
    });

    test('one refused recipient among three: delivered once to the other two', async () => {
      const { client } = clientFor(server.port);
      const subject = unique('partial');
      const result = success(
        await settle(client, {
          from: 'sender@example.com',
          to: [`first@${DOMAIN}`, REFUSED, `second@${DOMAIN}`],
          message: `Subject: ${subject}\r\n\r\nhello\r\n`,
        }),
      );
      expect(result.accepted).toEqual([`first@${DOMAIN}`, `second@${DOMAIN}`]);
      expect(result.rejected.map((r) => r.reply.code)).toEqual([554]);
      expect(await deliveredWith(server.port, subject, 2)).toHaveLength(2);
    });

    test('ten messages handed over at once share one connection, each delivered exactly once', async () => {
      const { client, verbs } = clientFor(server.port);
      const subject = unique('many');
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          settle(client, {
            from: 'sender@example.com',
            to: [`inbox@${DOMAIN}`],
            message: `Subject: ${subject}-${i}\r\n\r\nmessage ${i}\r\n`,
          }),
        ),
      );
      const ids = results.map((settled) => success(settled).messageId);
      expect(new Set(ids).size).toBe(10);
      expect(verbs().filter((verb) => verb === 'BDAT')).toHaveLength(10);
      expect(verbs().filter((verb) => verb === 'STARTTLS')).toHaveLength(1);
      for (let i = 0; i < 10; i++)
        expect(await deliveredWith(server.port, `${subject}-${i}`)).toHaveLength(1);
    });

    test('DATA (chunking: false): each next envelope rides behind the dot; a refusal in the middle of the flight is reported and its neighbours are delivered once', async () => {
      // Plaintext through a recording proxy, so the client's writes can be seen (RFC 2920 §3.1).
      const proxy = await startProxy(server.port);
      try {
        const { client } = clientFor(proxy.port, { security: 'none', chunking: false });
        const subject = unique('behind');
        const recipients = [[`inbox@${DOMAIN}`], [REFUSED], [`inbox@${DOMAIN}`], [`inbox@${DOMAIN}`]];
        const settled = await Promise.all(
          recipients.map((to, i) =>
            settle(client, {
              from: 'sender@example.com',
              to,
              message: `Subject: ${subject}-${i}\r\n\r\nm${i}\r\n`,
            }),
          ),
        );
        expect(settled.map((one) => one.ok)).toEqual([true, false, true, true]);
        expect(failure(settled[1]!)).toMatchObject({
          code: ErrorCodes.ALL_RECIPIENTS_REJECTED,
          outcome: 'rejected',
        });
        const flights = proxy.reads().map((read) => read.bytes.toString('latin1'));
        // The dot of one message and the next MAIL in the same write: no round trip between them.
        expect(
          flights.filter((flight) => flight.includes('\r\n.\r\nMAIL FROM:<sender@example.com>')).length,
        ).toBeGreaterThan(0);
        for (const i of [0, 2, 3])
          expect(await deliveredWith(server.port, `${subject}-${i}`)).toHaveLength(1);
      } finally {
        await proxy.stop();
      }
    });

    test('a pool of one connection shares it (STARTTLS, BDAT): twelve messages, one refused, each other delivered exactly once', async () => {
      const events: PoolEvent[] = [];
      const pool = createPool({
        ...baseOptions(server.port),
        maxConnections: 1,
        onEvent: (event) => events.push(event),
      });
      clients.push(pool);
      const subject = unique('pooled');
      const to = (i: number) => (i === 5 ? [REFUSED] : [`inbox@${DOMAIN}`]);
      const settled = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          pool
            .send({
              from: 'sender@example.com',
              to: to(i),
              message: `Subject: ${subject}-${i}\r\n\r\nm${i}\r\n`,
            })
            .then(
              (result) => ({ ok: true as const, result }),
              (error: unknown) => ({ ok: false as const, error }),
            ),
        ),
      );
      expect(settled.map((one) => one.ok)).toEqual(Array.from({ length: 12 }, (_, i) => i !== 5));
      expect(settled[5]).toMatchObject({ ok: false, error: { code: ErrorCodes.ALL_RECIPIENTS_REJECTED } });
      // One connection, shared: some attempts started while an earlier one on it was still running.
      expect(events.filter((e) => e.type === 'connection-opened')).toHaveLength(1);
      let running = 0;
      let peak = 0;
      for (const event of events) {
        if (event.type === 'attempt-started') peak = Math.max(peak, ++running);
        if (event.type === 'message-accepted' || event.type === 'message-rejected') running--;
      }
      expect(peak).toBeGreaterThan(1);
      expect(peak).toBeLessThanOrEqual(3);
      for (let i = 0; i < 12; i++)
        expect(await deliveredWith(server.port, `${subject}-${i}`)).toHaveLength(i === 5 ? 0 : 1);
    });

    test('chunking: false sends DATA to the same server', async () => {
      const { client, verbs } = clientFor(server.port, { chunking: false });
      success(
        await settle(client, {
          from: 'sender@example.com',
          to: [`inbox@${DOMAIN}`],
          message: 'Subject: d\r\n\r\nx\r\n',
        }),
      );
      expect(verbs()).toContain('DATA');
      expect(verbs()).not.toContain('BDAT');
    });
  });
});
