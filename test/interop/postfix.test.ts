/**
 * Interop with a real Postfix smtpd (private instance): STARTTLS (RFC 3207) with certificate
 * verification against a test CA, delivery end to end into a Maildir, per-recipient refusals,
 * SIZE (RFC 1870) and a TLS-required server.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { ErrorCodes } from '../../src/errors/codes.js';
import type { ClientOptions } from '../../src/transport/client-options.js';
import { failure, recordedClient, settle, success } from '../support/servers/client-fixture.js';
import { warnIfUnavailable } from '../support/servers/harness.js';
import * as postfix from '../support/servers/postfix.js';
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

  function clientFor(port: number, options: Partial<ClientOptions> = {}) {
    const recorded = recordedClient({
      host: 'localhost',
      address: '127.0.0.1',
      port,
      security: 'starttls',
      tls: { ca: tls.ca.cert },
      clientName: 'client.example',
      timeouts: { command: 10_000 },
      ...options,
    });
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
});
