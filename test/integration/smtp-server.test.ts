import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ClientOptions, createClient, type SmtpClient } from '../../src/transport/client.js';
import { rejection } from '../support/client-harness.js';
import { type TlsFixtures, tlsFixtures } from '../support/tls-fixtures.js';

// smtp-server (nodemailer's server) as an independent peer: it waits 100 ms before its greeting.
const USER = 'smtp-user';
const PASS = 'smtp-pass';
const MESSAGE =
  'From: a@example.test\r\nTo: b@example.test\r\nSubject: interop\r\n\r\n.leading dot\r\nbody\r\n';

interface Received {
  from: string;
  to: string[];
  body: string;
  user: unknown;
  secure: boolean;
}

let fixtures: TlsFixtures;
const teardown: (() => Promise<void>)[] = [];
beforeAll(async () => {
  fixtures = await tlsFixtures();
});
afterEach(async () => {
  for (const step of teardown.splice(0)) await step();
});

async function start(options: Partial<SMTPServerOptions> = {}) {
  const received: Received[] = [];
  const auths: string[] = [];
  let connections = 0;
  const server = new SMTPServer({
    key: fixtures.server.key,
    cert: fixtures.server.cert,
    logger: false,
    disableReverseLookup: true,
    authMethods: ['PLAIN', 'LOGIN'],
    onConnect(_session, callback) {
      connections += 1;
      callback();
    },
    onAuth(auth, _session, callback) {
      auths.push(auth.method);
      if (auth.username === USER && auth.password === PASS) callback(null, { user: auth.username });
      else callback(new Error('Invalid username or password'));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          body: Buffer.concat(chunks).toString(),
          user: session.user,
          secure: session.secure,
        });
        callback();
      });
    },
    ...options,
  });
  server.on('error', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.server.address() as AddressInfo;
  teardown.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { port, received, auths, connections: () => connections };
}

function client(port: number, options: Partial<ClientOptions> = {}): SmtpClient {
  const made = createClient({
    host: 'localhost',
    address: '127.0.0.1',
    port,
    tls: { ca: fixtures.ca.cert },
    auth: { user: USER, pass: PASS },
    ...options,
  });
  teardown.unshift(() => made.close());
  return made;
}

const envelope = { from: 'a@example.test', to: ['b@example.test', 'c@example.test'], message: MESSAGE };

describe('interop with smtp-server', () => {
  it('STARTTLS + AUTH PLAIN delivers the message byte for byte', async () => {
    const server = await start();
    const result = await client(server.port).send(envelope);
    expect(result.accepted).toEqual(['b@example.test', 'c@example.test']);
    expect(server.auths).toEqual(['PLAIN']);
    expect(server.received).toEqual([
      {
        from: 'a@example.test',
        to: ['b@example.test', 'c@example.test'],
        body: MESSAGE,
        user: USER,
        secure: true,
      },
    ]);
  });

  it('STARTTLS + AUTH LOGIN', async () => {
    const server = await start();
    await client(server.port, { auth: { user: USER, pass: PASS, method: 'LOGIN' } }).send(envelope);
    expect(server.auths).toEqual(['LOGIN']);
    expect(server.received[0]?.secure).toBe(true);
  });

  it('implicit TLS', async () => {
    const server = await start({ secure: true });
    await client(server.port, { security: 'implicit' }).send(envelope);
    expect(server.received[0]).toMatchObject({ body: MESSAGE, secure: true });
  });

  it('AUTH failure (535) is SMTP_AUTH_FAILED and nothing is delivered', async () => {
    const server = await start();
    const error = await rejection(
      client(server.port, { auth: { user: USER, pass: 'wrong' } }).send(envelope),
    );
    expect(error).toMatchObject({ code: 'SMTP_AUTH_FAILED', phase: 'auth' });
    expect(error.reply?.code).toBe(535);
    expect(server.received).toHaveLength(0);
  });

  it('several messages and a stream over one connection, then QUIT', async () => {
    const server = await start();
    const smtp = client(server.port);
    for (let i = 0; i < 3; i++) await smtp.send({ ...envelope, message: `Subject: ${i}\r\n\r\nbody\r\n` });
    await smtp.send({
      ...envelope,
      message: Readable.from([Buffer.from('Subject: s\r\n\r\n'), Buffer.from('.x\n')]),
    });
    await smtp.close();
    expect(server.connections()).toBe(1);
    expect(server.received.map((r) => r.body)).toEqual([
      'Subject: 0\r\n\r\nbody\r\n',
      'Subject: 1\r\n\r\nbody\r\n',
      'Subject: 2\r\n\r\nbody\r\n',
      'Subject: s\r\n\r\n.x\r\n',
    ]);
  });

  it('refuses a message over the advertised SIZE before MAIL', async () => {
    const server = await start({ size: 100 });
    const error = await rejection(
      client(server.port).send({ ...envelope, message: `Subject: x\r\n\r\n${'y'.repeat(300)}\r\n` }),
    );
    expect(error.code).toBe('SMTP_MESSAGE_TOO_LARGE');
    expect(server.received).toHaveLength(0);
  });
});
