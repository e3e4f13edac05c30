/**
 * A TLS error on an established connection (a corrupt record from a broken middlebox or a hostile
 * peer) comes from Node's TLSSocket as 'error' without a 'close' while TCP stays open. The
 * connection must end at once — not-sent before the dot, `unknown` after it — instead of the send
 * waiting out its phase timer (5 or 10 minutes by default).
 */
import net from 'node:net';
import tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors/codes.js';
import type { SmtpError } from '../../src/errors/smtp-error.js';
import { createClient } from '../../src/transport/client.js';
import { tlsFixtures } from '../support/tls-fixtures.js';

// An application-data record header, then 32 bytes no key decrypts: the client's TLS layer fails.
const BAD_RECORD = Buffer.concat([Buffer.from([0x17, 0x03, 0x03, 0x00, 0x20]), Buffer.alloc(32, 7)]);

type Trigger = 'MAIL' | 'dot';

const servers: net.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

/** An implicit-TLS SMTP server that answers `trigger` with a corrupt record on the raw socket. */
async function startServer(trigger: Trigger): Promise<number> {
  const { server: pair } = await tlsFixtures();
  const server = net.createServer((raw) => {
    raw.on('error', () => undefined);
    const secure = new tls.TLSSocket(raw, { isServer: true, key: pair.key, cert: pair.cert });
    secure.on('error', () => undefined);
    secure.write('220 localhost ESMTP\r\n');
    let inData = false;
    let buffered = '';
    secure.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      for (let end = buffered.indexOf('\r\n'); end >= 0; end = buffered.indexOf('\r\n')) {
        const line = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        if (inData) {
          if (line !== '.') continue;
          inData = false;
          if (trigger === 'dot') raw.write(BAD_RECORD);
          else secure.write('250 queued\r\n');
          continue;
        }
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO') secure.write('250-localhost\r\n250 8BITMIME\r\n');
        else if (verb === 'MAIL' && trigger === 'MAIL') raw.write(BAD_RECORD);
        else if (verb === 'DATA') {
          inData = true;
          secure.write('354 go\r\n');
        } else if (verb === 'QUIT') secure.end('221 bye\r\n');
        else secure.write('250 ok\r\n');
      }
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

describe('a corrupt TLS record on an open connection', () => {
  it.each<[Trigger, string, string]>([
    ['MAIL', 'not-sent', 'mail'],
    ['dot', 'unknown', 'data-end'],
  ])(
    'in answer to %s: the send ends at once (%s), not after its timer',
    async (trigger, outcome, phase) => {
      const port = await startServer(trigger);
      const { ca } = await tlsFixtures();
      const client = createClient({
        host: 'localhost',
        address: '127.0.0.1',
        port,
        security: 'implicit',
        tls: { ca: ca.cert },
        timeouts: { command: 20_000, dataTermination: 20_000 },
      });
      try {
        const started = Date.now();
        const error = await client
          .send({ from: 'a@example.test', to: ['b@example.test'], message: 'Subject: x\r\n\r\nbody\r\n' })
          .then(
            () => undefined,
            (e: SmtpError) => e,
          );
        expect(Date.now() - started).toBeLessThan(5_000);
        expect(error).toMatchObject({ code: ErrorCodes.CONNECTION_CLOSED, outcome, phase });
        expect(String((error?.cause as { code?: string } | undefined)?.code)).toMatch(/^ERR_SSL_/);
      } finally {
        client.destroy();
      }
    },
    30_000,
  );
});
