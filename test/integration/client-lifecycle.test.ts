import * as net from 'node:net';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { SmtpUsageError } from '../../src/errors/smtp-error.js';
import { createClient } from '../../src/transport/client.js';
import { harness, MESSAGE, rejection, verbs } from '../support/client-harness.js';

const envelope = { from: 'a@example.test', to: ['b@example.test'], message: MESSAGE };
const credentials = { user: 'AKIAUSERNAME', pass: 'pass-SECRET-value' };

describe('client lifecycle against the scripted server', () => {
  it('sends 10 messages over one connection', async () => {
    const { server, client } = await harness();
    for (let i = 0; i < 10; i++) {
      const result = await client.send({ ...envelope, message: `Subject: ${i}\r\n\r\nbody ${i}\r\n` });
      expect(result.messageId).toBe(`scripted-0-${i + 1}`);
    }
    expect(server.connections).toHaveLength(1);
    expect(server.transactions.map((t) => t.content.toString().split('\r\n')[0])).toEqual(
      Array.from({ length: 10 }, (_, i) => `Subject: ${i}`),
    );
  });

  it('queues concurrent sends and runs them one transaction at a time, in order', async () => {
    const { server, client } = await harness();
    const sends = Array.from({ length: 5 }, (_, i) =>
      client.send({ ...envelope, to: [`r${i}@example.test`] }),
    );
    const results = await Promise.all(sends);
    expect(results.map((r) => r.accepted[0])).toEqual(
      Array.from({ length: 5 }, (_, i) => `r${i}@example.test`),
    );
    expect(server.connections).toHaveLength(1);
    expect(server.transactions.map((t) => t.to[0])).toEqual(results.map((r) => r.accepted[0]));
  });

  it('opens a fresh connection when the last one ended, and never retries a failed send', async () => {
    const { server, client } = await harness({ maxMessagesPerConnection: 1 });
    await client.send(envelope);
    const refused = await rejection(client.send(envelope));
    expect(refused.reply?.code).toBe(421);
    expect(server.connections).toHaveLength(1);
    await client.send(envelope);
    expect(server.connections).toHaveLength(2);
    expect(server.transactions).toHaveLength(2);
  });

  it('close() after a timeout does not wait for a silent server to hang up', async () => {
    // A server that greets, answers EHLO, then goes silent and ignores our FIN (half-open).
    const server = net.createServer({ allowHalfOpen: true }, (socket) => {
      socket.write('220 silent.test ESMTP\r\n');
      socket.once('data', () => socket.write('250 silent.test\r\n'));
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    const client = createClient({ host: '127.0.0.1', port, security: 'none', timeouts: { command: 100 } });
    try {
      const error = await rejection(client.send(envelope));
      expect(error).toMatchObject({ code: 'SMTP_TIMEOUT', phase: 'mail', outcome: 'not-sent' });
      const started = performance.now();
      await client.close();
      expect(performance.now() - started).toBeLessThan(1_000); // the close grace period is 2 s
    } finally {
      client.destroy();
      server.close();
    }
  });

  it('reconnects after the server dropped an idle connection', async () => {
    const { server, client } = await harness();
    await client.send(envelope);
    server.connections[0]!.destroy();
    await server.waitFor(() => server.connections[0]!.isClosed);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await client.send(envelope);
    expect(server.connections).toHaveLength(2);
  });

  it('rejects bad input before connecting: typed errors naming the field, no byte written', async () => {
    const { server, client } = await harness();
    const cases: [object, string, string][] = [
      [{ ...envelope, from: 'not an address' }, 'from', 'SMTP_INVALID_ADDRESS'],
      [
        { ...envelope, to: ['ok@example.test', 'b@example.test', 'x\r\nRCPT TO:<evil@example.test>'] },
        'to[2]',
        'SMTP_CONTROL_CHARACTER',
      ],
      [{ ...envelope, to: [] }, 'to', 'SMTP_NO_RECIPIENTS'],
      [{ ...envelope, message: 'a\0b' }, 'message', 'SMTP_BODY_NUL'],
      [{ ...envelope, message: 42 }, 'message', 'SMTP_INVALID_ARGUMENT'],
      [{ ...envelope, signal: {} }, 'signal', 'SMTP_INVALID_ARGUMENT'],
      [{ ...envelope, signal: { aborted: false } }, 'signal', 'SMTP_INVALID_ARGUMENT'],
    ];
    for (const [options, field, code] of cases) {
      const error = await rejection(client.send(options as never));
      expect(error).toBeInstanceOf(SmtpUsageError);
      expect(error).toMatchObject({ field, code, outcome: 'not-sent' });
      expect(error.message).not.toContain('evil');
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(server.connections).toHaveLength(0);
  });

  it('a send with a bad signal queued behind a connection attempt is refused at once, and the queue goes on', async () => {
    const { server, client } = await harness();
    const rejections: unknown[] = [];
    const onUnhandled = (reason: unknown) => rejections.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const first = client.send(envelope);
      const bad = rejection(client.send({ ...envelope, signal: {} as AbortSignal }));
      const third = client.send(envelope);
      expect(await bad).toMatchObject({ code: 'SMTP_INVALID_ARGUMENT', field: 'signal' });
      await first;
      await third;
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(server.transactions).toHaveLength(2);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(rejections).toEqual([]);
  });

  // destroy() is the way out of a close() that a server never answers: the connection already
  // QUITting (from close() or the idle timer) is dropped too, and close() resolves.
  for (const quitBy of ['close()', 'the idle timer'] as const) {
    it(`destroy() drops a connection whose QUIT (sent by ${quitBy}) is never answered`, async () => {
      const { server, client } = await harness(
        { overrides: { QUIT: null } },
        quitBy === 'the idle timer' ? { idleTimeoutMs: 20 } : {},
      );
      await client.send(envelope);
      const closing = quitBy === 'close()' ? client.close() : undefined;
      await server.waitFor(() => server.connections[0]!.commands.some((c) => c.verb === 'QUIT'));
      client.destroy();
      await server.waitFor(() => server.connections[0]!.isClosed, 2000);
      if (closing) await closing;
      expect(server.connections[0]!.isClosed).toBe(true);
    });
  }

  it('TLS settings changed after createClient change nothing: they were validated, and copied', async () => {
    const { server } = await harness();
    const tls: Record<string, unknown> = {};
    const client = createClient({ host: '127.0.0.1', port: server.port, security: 'none', tls });
    tls.minVersion = 'TLSv1'; // refused by validation; read again on each connect it would throw
    const sent = await Promise.race([
      client.send(envelope).then(
        () => 'delivered',
        (error: { code: string }) => error.code,
      ),
      new Promise((resolve) => setTimeout(() => resolve('still queued'), 2000)),
    ]);
    expect(sent).toBe('delivered');
    await client.close();
  });

  it('close() sends QUIT, closes, rejects later sends with CLIENT_CLOSED', async () => {
    const { server, client } = await harness();
    await client.send(envelope);
    await client.close();
    expect(client.closed).toBe(true);
    expect(verbs(server).at(-1)).toBe('QUIT');
    await server.waitFor(() => server.connections[0]!.isClosed);
    expect((await rejection(client.send(envelope))).code).toBe('SMTP_CLIENT_CLOSED');
  });

  it('close() lets the send in flight finish and rejects the queued ones', async () => {
    const { server, client } = await harness();
    const first = client.send(envelope);
    const queued = [rejection(client.send(envelope)), rejection(client.send(envelope))];
    const closing = client.close();
    expect((await first).accepted).toEqual(['b@example.test']);
    for (const error of await Promise.all(queued)) expect(error.code).toBe('SMTP_CLIENT_CLOSED');
    await closing;
    expect(server.transactions).toHaveLength(1);
    expect(verbs(server).at(-1)).toBe('QUIT');
  });

  it('destroy() ends at once: the send in flight fails, queued ones get CLIENT_CLOSED', async () => {
    // Without PIPELINING the second send stays queued (with it, it would ride behind the dot).
    const capabilities = ['8BITMIME', 'STARTTLS', 'ENHANCEDSTATUSCODES'];
    const { server, client } = await harness({ overrides: { DOT: null }, capabilities });
    const inFlight = rejection(client.send(envelope));
    const queued = rejection(client.send(envelope));
    await server.waitFor(() => server.transactions.length === 1);
    client.destroy();
    expect((await queued).code).toBe('SMTP_CLIENT_CLOSED');
    // The caller's own doing, not a lost connection (spec/error-codes.md), with the exact outcome.
    expect(await inFlight).toMatchObject({ code: 'SMTP_CLIENT_CLOSED', outcome: 'unknown' });
    expect(client.closed).toBe(true);
    expect(verbs(server)).not.toContain('QUIT');
    expect((await rejection(client.send(envelope))).code).toBe('SMTP_CLIENT_CLOSED');
  });

  it('destroy() before the body went out: the send in flight is CLIENT_CLOSED, not-sent', async () => {
    const { server, client } = await harness({ overrides: { RCPT: null, DATA: null } });
    const inFlight = rejection(client.send(envelope));
    await server.waitFor(() => verbs(server).includes('RCPT'));
    client.destroy();
    expect(await inFlight).toMatchObject({ code: 'SMTP_CLIENT_CLOSED', outcome: 'not-sent' });
    expect(verbs(server)).not.toContain('QUIT');
  });

  it('destroy() from the logger while the final reply is taken writes and logs no QUIT', async () => {
    const lines: string[] = [];
    let destroy = (): void => {};
    const { server, client } = await harness(
      {},
      {
        logger: (event) => {
          if (event.type !== 'transcript') return;
          lines.push(`${event.direction} ${event.text}`);
          // Re-entrant: the machine is still taking the dot's 250 (it will be back at ready).
          if (event.direction === 'server' && event.text.startsWith('250 Ok')) destroy();
        },
      },
    );
    destroy = () => client.destroy();
    const result = await client.send(envelope).catch((error: unknown) => error);
    expect(result).toMatchObject({ accepted: ['b@example.test'] });
    await server.waitFor(() => server.connections[0]!.isClosed);
    expect(lines.filter((line) => line.startsWith('client QUIT'))).toEqual([]);
    expect(verbs(server)).not.toContain('QUIT');
  });

  it('destroy() cuts a connection attempt short, naming where it stood', async () => {
    const { client } = await harness({ overrides: { GREETING: null } });
    const pending = rejection(client.send(envelope));
    setTimeout(() => client.destroy(), 30);
    const started = Date.now();
    expect(await pending).toMatchObject({
      code: 'SMTP_CLIENT_CLOSED',
      phase: 'greeting',
      outcome: 'not-sent',
    });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('connected follows the connection', async () => {
    const { server, client } = await harness();
    expect(client.connected).toBe(false);
    await client.send(envelope);
    expect(client.connected).toBe(true);
    server.connections[0]!.destroy();
    await server.waitFor(() => server.connections[0]!.isClosed);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(client.connected).toBe(false);
  });

  it('close() without any send opens no connection', async () => {
    const { server, client } = await harness();
    await client.close();
    expect(server.connections).toHaveLength(0);
  });

  it('aborts a queued send without touching the others', async () => {
    const { server, client } = await harness();
    const controller = new AbortController();
    const first = client.send(envelope);
    const aborted = client.send({ ...envelope, signal: controller.signal });
    const third = client.send(envelope);
    controller.abort();
    expect((await rejection(aborted)).code).toBe('SMTP_ABORTED');
    await Promise.all([first, third]);
    expect(server.transactions).toHaveLength(2);
  });

  it('aborts while waiting for the greeting', async () => {
    const { client } = await harness({ overrides: { GREETING: null } });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 30);
    const started = Date.now();
    const error = await rejection(client.send({ ...envelope, signal: controller.signal }));
    expect(error.code).toBe('SMTP_ABORTED');
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('times out a silent greeting', async () => {
    const { client } = await harness({ overrides: { GREETING: null } }, { timeouts: { greeting: 100 } });
    expect(await rejection(client.send(envelope))).toMatchObject({ code: 'SMTP_TIMEOUT', phase: 'greeting' });
  });

  it('keeps credentials out of inspect, JSON and the log', async () => {
    const events: unknown[] = [];
    const { client } = await harness({}, { auth: credentials, logger: (event) => events.push(event) });
    await client.send(envelope);
    const base64 = Buffer.from(`\0${credentials.user}\0${credentials.pass}`).toString('base64');
    for (const text of [
      inspect(client, { depth: 10, showHidden: true }),
      JSON.stringify(client),
      JSON.stringify(events),
    ]) {
      expect(text).not.toContain(credentials.user);
      expect(text).not.toContain(credentials.pass);
      expect(text).not.toContain(base64);
    }
    expect(events).toContainEqual({
      type: 'transcript',
      direction: 'client',
      text: '[redacted]',
      redacted: true,
    });
    expect(events.some((e) => (e as { type: string }).type === 'tls')).toBe(true);
  });
});

describe('createClient options', () => {
  it('validates options at once, naming the field and never echoing values', () => {
    const bad: [object, string][] = [
      [{ host: 'h.test', port: 0 }, 'port'],
      [{ host: '' }, 'host'],
      [{ host: 'h.test', security: 'tls' }, 'security'],
      [{ host: 'h.test', tls: { rejectUnauthorized: false } }, 'tls.rejectUnauthorized'],
      [{ host: 'h.test', auth: { user: 'SECRET-USER' } }, 'auth.pass'],
      [{ host: 'h.test', clientName: 'bad name\r\n' }, 'clientName'],
      [{ host: 'h.test', password: 'SECRET' }, 'password'],
      [{ host: 'h.test', timeouts: { command: -1 } }, 'timeouts.command'],
    ];
    for (const [options, field] of bad) {
      let caught: unknown;
      try {
        createClient(options as never);
      } catch (error) {
        caught = error;
      }
      expect(caught, field).toBeInstanceOf(SmtpUsageError);
      expect((caught as SmtpUsageError).field).toBe(field);
      expect((caught as Error).message).not.toContain('SECRET');
    }
  });

  it('defaults: port 587 with STARTTLS required; implicit TLS on 465 and 2465', () => {
    const security = (options: object) =>
      (
        JSON.parse(JSON.stringify(createClient({ host: 'h.test', ...options }))) as {
          options: { security: string; port: number };
        }
      ).options;
    expect(security({})).toMatchObject({ port: 587, security: 'starttls' });
    expect(security({ port: 465 }).security).toBe('implicit');
    expect(security({ port: 2465 }).security).toBe('implicit');
    expect(security({ port: 25 }).security).toBe('starttls');
    // A given mode wins over the port's default (but for 465, implicit TLS anywhere: port-security.test.ts).
    expect(security({ port: 2465, security: 'starttls' }).security).toBe('starttls');
  });
});

describe('an abort while the connection is being set up names the phase it stopped', () => {
  it('aborted while waiting for the AUTH reply: phase auth, not connect', async () => {
    const { server, client } = await harness(
      { overrides: { AUTH: null } },
      { auth: { user: 'u', pass: 'p' } },
    );
    const controller = new AbortController();
    const pending = rejection(client.send({ ...envelope, signal: controller.signal }));
    await server.waitFor(() => server.connections[0]?.commands.some((c) => c.verb === 'AUTH') ?? false);
    controller.abort();
    expect(await pending).toMatchObject({ code: 'SMTP_ABORTED', phase: 'auth', outcome: 'not-sent' });
  });

  it('aborted while waiting for the greeting: phase greeting, not connect', async () => {
    const { server, client } = await harness({ overrides: { GREETING: null } });
    const controller = new AbortController();
    const pending = rejection(client.send({ ...envelope, signal: controller.signal }));
    await server.waitFor(() => server.connections.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    controller.abort();
    expect(await pending).toMatchObject({ code: 'SMTP_ABORTED', phase: 'greeting' });
  });
});
