/**
 * Interop with nodemailer's smtp-server: SIZE (RFC 1870) with a value, without one and absent;
 * PIPELINING (RFC 2920) on and off; 8BITMIME (RFC 6152) hidden; STARTTLS + AUTH. CHUNKING
 * (RFC 3030): smtp-server does not offer it; an in-process scripted server does here (BDAT n LAST,
 * BINARYMIME), and the real Postfix smtpd in postfix.test.ts does.
 */
import { describe, expect, test } from 'vitest';
import { ErrorCodes } from '../../src/errors/codes.js';
import { startScriptedServer } from '../support/scripted-server.js';
import { failure, interopScope, settle, success } from '../support/servers/client-fixture.js';
import * as smtpServer from '../support/servers/smtp-server.js';
import { tlsFixtures } from '../support/tls-fixtures.js';

const { defer, clientFor, proxiedClientFor } = interopScope({ command: 5000 });

async function serve(options: smtpServer.SmtpServerHarnessOptions = {}) {
  const server = await smtpServer.start(options);
  defer(() => server.stop());
  return server;
}

const envelope = { from: 'sender@example.com', to: ['rcpt@example.net'] };
const body = (octets: number) => `Subject: size\r\n\r\n${'y'.repeat(76)}\r\n`.repeat(Math.ceil(octets / 96));

describe('smtp-server', () => {
  test('SIZE with a limit: MAIL carries SIZE=<encoded size>; a larger body is refused before MAIL', async () => {
    const server = await serve({ size: 4000 });
    const { client, verbs } = clientFor(server.port);
    const small = body(1000);
    success(await settle(client, { ...envelope, message: small }));
    const size = Number(server.messages()[0]?.mailArgs.SIZE);
    expect(size).toBeGreaterThanOrEqual(Buffer.byteLength(small));
    expect(size).toBeLessThan(Buffer.byteLength(small) + 16);
    const mails = verbs().filter((verb) => verb === 'MAIL').length;
    const error = failure(await settle(client, { ...envelope, message: body(8000) }));
    expect(error).toMatchObject({ code: ErrorCodes.MESSAGE_TOO_LARGE, outcome: 'not-sent' });
    expect(verbs().filter((verb) => verb === 'MAIL')).toHaveLength(mails);
    expect(server.messages()).toHaveLength(1);
  });

  test('SIZE without a value (no fixed limit): the client sends, the server refuses at the dot (552, rejected)', async () => {
    const server = await serve({ size: 4000, hideSizeValue: true });
    const { client } = clientFor(server.port);
    const error = failure(await settle(client, { ...envelope, message: body(8000) }));
    expect(error).toMatchObject({
      outcome: 'rejected',
      phase: 'data-end',
      code: ErrorCodes.MESSAGE_TOO_LARGE,
    });
    expect(error.reply?.code).toBe(552);
  });

  test('no SIZE extension: MAIL has no SIZE parameter', async () => {
    const server = await serve();
    const { client } = clientFor(server.port);
    success(await settle(client, { ...envelope, message: body(500) }));
    expect(server.messages()[0]?.mailArgs).not.toHaveProperty('SIZE');
  });

  test.each([
    [false, true],
    [true, false],
  ])('PIPELINING hidden=%s: command groups pipelined=%s', async (hidePipelining, pipelined) => {
    const server = await serve({ hidePipelining });
    const { client, proxy } = await proxiedClientFor(server.port);
    success(
      await settle(client, {
        from: 'a@example.com',
        to: ['b@example.net', 'c@example.net'],
        message: 'x\r\n',
      }),
    );
    const longest = Math.max(...proxy.commandGroups().map((group) => group.length));
    expect(longest > 1).toBe(pipelined);
    expect(server.messages()[0]?.to).toEqual(['b@example.net', 'c@example.net']);
  });

  test('8BITMIME hidden: an 8-bit body is refused before MAIL', async () => {
    const server = await serve({ hide8BitMime: true });
    const { client, verbs } = clientFor(server.port);
    const error = failure(await settle(client, { ...envelope, message: '\u00fcber\r\n' }));
    expect(error.code).toBe(ErrorCodes.BODY_8BIT_NOT_SUPPORTED);
    expect(verbs()).not.toContain('MAIL');
  });

  test('STARTTLS and AUTH LOGIN against smtp-server; the message arrives over TLS as the user', async () => {
    const tls = await tlsFixtures();
    const server = await serve({ tls: tls.server, credentials: { user: 'alice', pass: 's3cret' } });
    const { client } = clientFor(server.port, {
      host: 'localhost',
      address: '127.0.0.1',
      security: 'starttls',
      tls: { ca: tls.ca.cert },
      auth: { user: 'alice', pass: 's3cret', method: 'LOGIN' },
    });
    success(await settle(client, { ...envelope, message: 'Subject: tls\r\n\r\n.dot\r\n' }));
    expect(server.messages()[0]).toMatchObject({ secure: true, user: 'alice' });
    expect(server.messages()[0]?.body.toString()).toBe('Subject: tls\r\n\r\n.dot\r\n');
  });
});

describe('CHUNKING offered (scripted server; the real one is Postfix, postfix.test.ts)', () => {
  test('the client sends the message with BDAT n LAST (RFC 3030), not DATA, and the bytes arrive unstuffed', async () => {
    const server = await startScriptedServer({
      capabilities: ['PIPELINING', '8BITMIME', 'CHUNKING', 'BINARYMIME', 'SIZE 100000'],
    });
    defer(() => server.close());
    const { client, verbs } = clientFor(server.port);
    const message = 'Subject: c\r\n\r\n.leading dot stays single\r\nbody\r\n';
    success(await settle(client, { ...envelope, message }));
    expect(verbs()).toContain('BDAT');
    expect(verbs()).not.toContain('DATA');
    expect(server.transactions[0]?.via).toBe('BDAT');
    expect(server.transactions[0]?.content.toString()).toBe(message);
  });
});
