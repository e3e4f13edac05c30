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

type Mode = 'implicit' | 'starttls';

/**
 * An SMTP server over TLS (from the first byte, or after STARTTLS) that answers `trigger` with a
 * corrupt record written on the raw socket beneath its TLS.
 */
async function startServer(trigger: Trigger, mode: Mode): Promise<number> {
  const { server: pair } = await tlsFixtures();
  const server = net.createServer((raw) => {
    raw.on('error', () => undefined);
    const secure = (): tls.TLSSocket => {
      const socket = new tls.TLSSocket(raw, { isServer: true, key: pair.key, cert: pair.cert });
      socket.on('error', () => undefined);
      return socket;
    };
    const stream: net.Socket | tls.TLSSocket = mode === 'implicit' ? secure() : raw;
    stream.write('220 localhost ESMTP\r\n');
    serveLines(stream, (line, out) => {
      const verb = line.slice(0, 4).toUpperCase();
      if (verb === 'STAR') {
        out.write('220 go ahead\r\n');
        raw.removeAllListeners('data');
        serveLines(secure(), afterTls);
        return;
      }
      if (verb === 'EHLO') out.write('250-localhost\r\n250 STARTTLS\r\n');
      else if (verb === 'QUIT') out.end('221 bye\r\n');
      else afterTls(line, out);
    });
    let inData = false;
    function afterTls(line: string, out: net.Socket): void {
      if (inData) {
        if (line !== '.') return;
        inData = false;
        if (trigger === 'dot') raw.write(BAD_RECORD);
        else out.write('250 queued\r\n');
        return;
      }
      const verb = line.slice(0, 4).toUpperCase();
      if (verb === 'EHLO') out.write('250-localhost\r\n250 8BITMIME\r\n');
      else if (verb === 'MAIL' && trigger === 'MAIL') raw.write(BAD_RECORD);
      else if (verb === 'DATA') {
        inData = true;
        out.write('354 go\r\n');
      } else if (verb === 'QUIT') out.end('221 bye\r\n');
      else out.write('250 ok\r\n');
    }
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

/** Calls `onLine` for each CRLF-ended line read from `stream`. */
function serveLines(stream: net.Socket, onLine: (line: string, out: net.Socket) => void): void {
  let buffered = '';
  stream.setEncoding('latin1').on('data', (chunk: string) => {
    buffered += chunk;
    for (let end = buffered.indexOf('\r\n'); end >= 0; end = buffered.indexOf('\r\n')) {
      const line = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      onLine(line, stream);
    }
  });
}

describe('a corrupt TLS record on an open connection', () => {
  it.each<[Mode, Trigger, string, string]>([
    ['implicit', 'MAIL', 'not-sent', 'mail'],
    ['implicit', 'dot', 'unknown', 'data-end'],
    ['starttls', 'MAIL', 'not-sent', 'mail'],
    ['starttls', 'dot', 'unknown', 'data-end'],
  ])(
    '%s TLS, in answer to %s: the send ends at once (%s), not after its timer',
    async (mode, trigger, outcome, phase) => {
      const port = await startServer(trigger, mode);
      const { ca } = await tlsFixtures();
      const client = createClient({
        host: 'localhost',
        address: '127.0.0.1',
        port,
        security: mode,
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
