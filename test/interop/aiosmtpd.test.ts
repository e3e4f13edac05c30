/**
 * Interop with aiosmtpd (Python): STARTTLS required (RFC 3207), AUTH PLAIN and LOGIN (RFC 4954),
 * and byte-exact delivery: what the server unstuffs (RFC 5321 §4.5.2) must equal the caller's body
 * with line endings normalised to CRLF (§2.3.8), for the SMTP-smuggling vectors of threats.md §2 too.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { ErrorCodes } from '../../src/errors/codes.js';
import type { ClientOptions } from '../../src/transport/client-options.js';
import * as aiosmtpd from '../support/servers/aiosmtpd.js';
import { failure, recordedClient, settle, success } from '../support/servers/client-fixture.js';
import { warnIfUnavailable } from '../support/servers/harness.js';
import { SMUGGLING_VECTORS } from '../support/smuggling-vectors.js';
import { type TlsFixtures, tlsFixtures } from '../support/tls-fixtures.js';

const availability = aiosmtpd.available();
warnIfUnavailable('aiosmtpd', availability);

const USER = 'interop-user';
const PASS = 'pa:ss w\u00f6rd';

/** An independent reference: every CRLF, bare CR and bare LF becomes CRLF; a last line gets its CRLF. */
function normalised(body: Buffer): Buffer {
  const text = body.toString('latin1').replace(/\r\n|\r|\n/g, '\r\n');
  return Buffer.from(text === '' || text.endsWith('\r\n') ? text : `${text}\r\n`, 'latin1');
}

const TRICKY_BODIES: readonly [string, Buffer][] = [
  ['leading dots', Buffer.from('.\r\n..\r\n.x\r\n...y\r\nend')],
  ['a lone dot line in the middle', Buffer.from('before\r\n.\r\nafter\r\n')],
  ['bare LF and bare CR', Buffer.from('a\nb\rc\r\nd\n\n\re')],
  ['smtplib vector', Buffer.from('abc\n.jkl\rfoo\r\n..blue')],
  [
    '8-bit UTF-8 and Latin-1 octets',
    Buffer.concat([Buffer.from('caf\u00e9 \u2603\r\n'), Buffer.from([0xe9, 0xff, 0x80, 0x0d, 0x0a])]),
  ],
  ['no final line ending', Buffer.from('Subject: x\r\n\r\nlast line')],
  ['a 998-octet line', Buffer.from(`${'a'.repeat(998)}\r\n.${'b'.repeat(997)}\r\n`)],
  ...SMUGGLING_VECTORS.map((vector): [string, Buffer] => [
    `smuggling vector ${JSON.stringify(vector)}`,
    Buffer.from(
      `Subject: s\r\n\r\nhead${vector}MAIL FROM:<evil@example.com>\r\nRCPT TO:<victim@example.net>\r\nDATA\r\nsmuggled\r\n`,
    ),
  ]),
];

/** Splits `bytes` into chunks at every CR, LF and dot so each boundary case crosses a chunk edge. */
async function* awkwardChunks(bytes: Buffer): AsyncIterable<Uint8Array> {
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === 0x0d || b === 0x0a || b === 0x2e) {
      if (i > start) yield bytes.subarray(start, i);
      yield bytes.subarray(i, i + 1);
      start = i + 1;
    }
  }
  if (start < bytes.length) yield bytes.subarray(start);
}

describe.skipIf(!availability.ok)('aiosmtpd', () => {
  let tls: TlsFixtures;
  let server: aiosmtpd.RunningAiosmtpd;
  const clients: { close(): Promise<void> }[] = [];

  beforeAll(async () => {
    tls = await tlsFixtures();
    server = await aiosmtpd.start({
      tls: tls.server,
      requireStartTls: true,
      authRequired: true,
      credentials: [{ user: USER, pass: PASS }],
    });
  });
  afterAll(async () => {
    await server?.stop();
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close().catch(() => undefined)));
  });

  function clientFor(options: Partial<ClientOptions> = {}) {
    const recorded = recordedClient({
      host: 'localhost',
      address: '127.0.0.1',
      port: server.port,
      security: 'starttls',
      tls: { ca: tls.ca.cert },
      auth: { user: USER, pass: PASS },
      clientName: 'client.example',
      timeouts: { command: 10_000 },
      ...options,
    });
    clients.push(recorded.client);
    return recorded;
  }

  test.each(['PLAIN', 'LOGIN'] as const)(
    'STARTTLS then AUTH %s; the transcript never shows the credentials',
    async (method) => {
      const before = server.messages().length;
      const { client, transcript, verbs } = clientFor({ auth: { user: USER, pass: PASS, method } });
      success(
        await settle(client, { from: 'sender@example.com', to: ['rcpt@example.net'], message: 'hi\r\n' }),
      );
      expect(verbs().slice(0, 4)).toEqual(['EHLO', 'STARTTLS', 'EHLO', '[REDACTED]']);
      const [message] = (await server.waitForMessages(before + 1)).slice(before);
      expect(message).toMatchObject({ secure: true, authenticated: true, login: USER });
      const everything = transcript.join('\n');
      for (const secret of [
        USER,
        PASS,
        Buffer.from(USER).toString('base64'),
        Buffer.from(PASS).toString('base64'),
      ]) {
        expect(everything).not.toContain(secret);
      }
    },
  );

  test('a wrong password: AUTH_FAILED, no MAIL', async () => {
    const { client, verbs } = clientFor({ auth: { user: USER, pass: 'wrong' } });
    const error = failure(
      await settle(client, { from: 'sender@example.com', to: ['rcpt@example.net'], message: 'x\r\n' }),
    );
    expect(error.code).toBe(ErrorCodes.AUTH_FAILED);
    expect(error.outcome).not.toBe('unknown');
    expect(verbs()).not.toContain('MAIL');
  });

  describe.each([
    ['a whole body', (body: Buffer) => body],
    ['a stream split at every CR, LF and dot', (body: Buffer) => awkwardChunks(body)],
  ] as const)('byte-exact delivery of %s', (_how, asMessage) => {
    test.each(TRICKY_BODIES)('%s', async (_name, body) => {
      const before = server.messages().length;
      const { client } = clientFor();
      success(
        await settle(client, {
          from: 'sender@example.com',
          to: ['rcpt@example.net'],
          message: asMessage(body),
        }),
      );
      const recorded = (await server.waitForMessages(before + 1)).slice(before);
      expect(recorded).toHaveLength(1); // nothing smuggled: exactly one message per send
      expect(recorded[0]?.content.toString('hex')).toBe(normalised(body).toString('hex'));
      expect(recorded[0]?.rcptTos).toEqual(['rcpt@example.net']);
    });
  });

  test('8-bit bodies are announced with BODY=8BITMIME (RFC 6152); 7-bit bodies are not', async () => {
    const before = server.messages().length;
    const { client } = clientFor();
    success(await settle(client, { from: 'a@example.com', to: ['b@example.net'], message: 'caf\u00e9\r\n' }));
    success(await settle(client, { from: 'a@example.com', to: ['b@example.net'], message: 'plain\r\n' }));
    const [eight, seven] = (await server.waitForMessages(before + 2)).slice(before);
    expect(eight?.mailOptions).toContain('BODY=8BITMIME');
    expect(seven?.mailOptions ?? []).not.toContain('BODY=8BITMIME');
  });

  test('a UTF-8 address without SMTPUTF8 on the server is refused before MAIL', async () => {
    const { client, verbs } = clientFor();
    const error = failure(
      await settle(client, { from: 'j\u00f6rg@example.com', to: ['b@example.net'], message: 'x\r\n' }),
    );
    expect(error.code).toBe(ErrorCodes.NON_ASCII_WITHOUT_SMTPUTF8);
    expect(verbs()).not.toContain('MAIL');
  });
});

describe.skipIf(!availability.ok)('aiosmtpd with SMTPUTF8 (RFC 6531)', () => {
  test('a UTF-8 envelope goes with MAIL … SMTPUTF8 and arrives as sent', async () => {
    const tls = await tlsFixtures();
    const server = await aiosmtpd.start({ tls: tls.server, requireStartTls: true, smtpUtf8: true });
    const { client } = recordedClient({
      host: 'localhost',
      address: '127.0.0.1',
      port: server.port,
      security: 'starttls',
      tls: { ca: tls.ca.cert },
      clientName: 'client.example',
    });
    try {
      success(
        await settle(client, {
          from: 'j\u00f6rg@example.com',
          to: ['\u7528\u6237@example.net'],
          message: 'x\r\n',
        }),
      );
      const [message] = await server.waitForMessages(1);
      expect(message?.mailFrom).toBe('j\u00f6rg@example.com');
      expect(message?.rcptTos).toEqual(['\u7528\u6237@example.net']);
      expect(message?.mailOptions).toContain('SMTPUTF8');
    } finally {
      await client.close().catch(() => undefined);
      await server.stop();
    }
  });
});
