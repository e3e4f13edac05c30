import { once } from 'node:events';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ScriptedServer, type ScriptedServerOptions, startScriptedServer } from './scripted-server.js';
import { type TlsFixtures, tlsFixtures } from './tls-fixtures.js';

/** A deliberately dumb SMTP client: reads whole replies, writes raw text. */
class RawClient {
  private buffer = '';
  private waiters: (() => void)[] = [];
  constructor(public socket: net.Socket) {
    this.listen(socket);
  }
  private listen(socket: net.Socket): void {
    socket.on('data', (chunk: Buffer) => {
      this.buffer += chunk.toString('utf8');
      for (const waiter of this.waiters.splice(0)) waiter();
    });
  }
  async reply(): Promise<string> {
    for (;;) {
      const match = /^(?:\d{3}-[^\n]*\n)*\d{3}(?: [^\n]*)?\n/.exec(this.buffer);
      if (match) {
        this.buffer = this.buffer.slice(match[0].length);
        return match[0].trimEnd();
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }
  send(text: string): void {
    this.socket.write(text);
  }
  async command(text: string): Promise<string> {
    this.send(`${text}\r\n`);
    return this.reply();
  }
  async startTls(ca: string): Promise<void> {
    this.socket.removeAllListeners('data');
    const secure = tls.connect({ socket: this.socket, servername: 'localhost', ca });
    await once(secure, 'secureConnect');
    this.socket = secure;
    this.listen(secure);
  }
}

let fixtures: TlsFixtures;
let server: ScriptedServer | undefined;
beforeAll(async () => {
  fixtures = await tlsFixtures();
});
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function connect(options: ScriptedServerOptions = {}): Promise<RawClient> {
  server = await startScriptedServer(options);
  const socket = options.implicitTls
    ? tls.connect({ host: '127.0.0.1', port: server.port, servername: 'localhost', ca: fixtures.ca.cert })
    : net.connect(server.port, '127.0.0.1');
  await once(socket, options.implicitTls ? 'secureConnect' : 'connect');
  return new RawClient(socket);
}

describe('scripted server', () => {
  it('answers a full plaintext session and records the transaction exactly', async () => {
    const client = await connect();
    expect(await client.reply()).toMatch(/^220 /);
    const ehlo = await client.command('EHLO client.test');
    expect(ehlo.split('\r\n')).toEqual([
      '250-scripted.test',
      '250-PIPELINING',
      '250-8BITMIME',
      '250-SIZE 10485760',
      '250-AUTH PLAIN LOGIN',
      '250 ENHANCEDSTATUSCODES',
    ]);
    expect(await client.command('MAIL FROM:<a@example.test> SIZE=20')).toMatch(/^250 /);
    expect(await client.command('RCPT TO:<b@example.test>')).toMatch(/^250 /);
    expect(await client.command('RCPT TO:<c@example.test>')).toMatch(/^250 /);
    expect(await client.command('DATA')).toMatch(/^354 /);
    client.send('Subject: x\r\n\r\n..dot\r\n');
    client.send('line\r\n.\r\n');
    expect(await client.reply()).toMatch(/^250 Ok scripted-0-1$/);
    expect(await client.command('QUIT')).toMatch(/^221 /);
    await server!.waitFor(() => server!.connections[0]!.isClosed);
    const [transaction] = server!.transactions;
    expect(transaction).toMatchObject({ from: 'a@example.test', to: ['b@example.test', 'c@example.test'] });
    expect(transaction!.mailParams).toEqual(['SIZE=20']);
    expect(transaction!.raw.toString()).toBe('Subject: x\r\n\r\n..dot\r\nline\r\n.\r\n');
    expect(transaction!.content.toString()).toBe('Subject: x\r\n\r\n.dot\r\nline\r\n');
    expect(server!.connections[0]!.received().toString()).toContain('MAIL FROM:<a@example.test> SIZE=20\r\n');
  });

  it('records pipelined commands as arriving in one read and answers them in order', async () => {
    const client = await connect();
    await client.reply();
    await client.command('EHLO client.test');
    client.send('MAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.test>\r\nDATA\r\n');
    expect(await client.reply()).toMatch(/^250 2\.1\.0/);
    expect(await client.reply()).toMatch(/^250 2\.1\.5/);
    expect(await client.reply()).toMatch(/^354 /);
    const commands = server!.connections[0]!.commands;
    const chunks = commands.filter((c) => ['MAIL', 'RCPT', 'DATA'].includes(c.verb)).map((c) => c.chunk);
    expect(new Set(chunks).size).toBe(1);
    expect(commands[0]!.chunk).not.toBe(chunks[0]);
  });

  it('upgrades in place on STARTTLS, forgets STARTTLS, and checks AUTH credentials', async () => {
    const client = await connect({ tls: fixtures.server, credentials: { user: 'u', pass: 'p' } });
    await client.reply();
    expect(await client.command('EHLO client.test')).toContain('250-STARTTLS');
    expect(await client.command('STARTTLS')).toMatch(/^220 /);
    await client.startTls(fixtures.ca.cert);
    expect(await client.command('EHLO client.test')).not.toContain('STARTTLS');
    const bad = Buffer.from('\0u\0wrong').toString('base64');
    expect(await client.command(`AUTH PLAIN ${bad}`)).toMatch(/^535 /);
    expect(await client.command('AUTH LOGIN')).toBe('334 VXNlcm5hbWU6');
    expect(await client.command(Buffer.from('u').toString('base64'))).toBe('334 UGFzc3dvcmQ6');
    expect(await client.command(Buffer.from('p').toString('base64'))).toMatch(/^235 /);
    const connection = server!.connections[0]!;
    expect(connection.state).toMatchObject({ secure: true, authenticated: true });
    expect(connection.commands.find((c) => c.verb === 'AUTH')?.secure).toBe(true);
  });

  it('records plaintext that followed STARTTLS in the same read as discarded', async () => {
    const client = await connect({ tls: fixtures.server });
    await client.reply();
    await client.command('EHLO client.test');
    client.send('STARTTLS\r\nNOOP\r\n');
    expect(await client.reply()).toMatch(/^220 /);
    await client.startTls(fixtures.ca.cert);
    expect(server!.connections[0]!.discardedAfterStartTls.toString()).toBe('NOOP\r\n');
  });

  it('speaks implicit TLS from the first byte', async () => {
    const client = await connect({ tls: fixtures.server, implicitTls: true });
    expect(await client.reply()).toMatch(/^220 /);
    expect(await client.command('EHLO client.test')).not.toContain('STARTTLS');
    expect(server!.connections[0]!.state.secure).toBe(true);
  });

  it('applies string, silent and function overrides, and state follows the chosen reply', async () => {
    const client = await connect({
      overrides: {
        MAIL: '451 4.3.0 try later',
        NOOP: null,
        RCPT: (line, _connection, fallback) => (line.includes('bad') ? '550 5.1.1 no such user' : fallback()),
      },
    });
    await client.reply();
    await client.command('EHLO client.test');
    expect(await client.command('MAIL FROM:<a@example.test>')).toBe('451 4.3.0 try later');
    expect(await client.command('RCPT TO:<b@example.test>')).toMatch(/^503 /);
    server!.override('MAIL', undefined);
    expect(await client.command('MAIL FROM:<a@example.test>')).toMatch(/^250 /);
    expect(await client.command('RCPT TO:<bad@example.test>')).toMatch(/^550 /);
    expect(await client.command('RCPT TO:<ok@example.test>')).toMatch(/^250 /);
    expect(server!.connections[0]!.state.to).toEqual(['ok@example.test']);
    client.send('NOOP\r\n');
    expect(await client.command('RSET')).toMatch(/^250 /);
  });

  it('refuses an oversized SIZE= and closes after maxMessagesPerConnection', async () => {
    const client = await connect({ sizeLimit: 100, maxMessagesPerConnection: 1 });
    await client.reply();
    await client.command('EHLO client.test');
    expect(await client.command('MAIL FROM:<a@example.test> SIZE=101')).toMatch(/^552 /);
    await client.command('MAIL FROM:<a@example.test> SIZE=10');
    await client.command('RCPT TO:<b@example.test>');
    await client.command('DATA');
    expect(await client.command('hi\r\n.')).toMatch(/^250 /);
    expect(await client.command('MAIL FROM:<a@example.test>')).toMatch(/^421 /);
    await server!.waitFor(() => server!.connections[0]!.isClosed);
    expect(server!.connections).toHaveLength(1);
  });
});
