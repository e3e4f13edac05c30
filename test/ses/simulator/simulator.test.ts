import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { type AddressInfo, createServer, connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deriveSesSmtpPassword, deriveSesSmtpPasswordV2 } from '../../../src/ses/password.js';
import { SES_MESSAGE_ID_PATTERN } from '../../../src/ses/simulator/message-id.js';
import { SesSimulatorListenError } from '../../../src/ses/simulator/simulator.js';
import { useSimulators } from './simulator-fixture.js';
import { authenticatedProbe, b64, greetedTlsProbe, plain, SmtpProbe, sendMessage } from './smtp-probe.js';

const KEY = { accessKeyId: 'AKIAEXAMPLE000000001', secretAccessKey: 'some+secret+key' };
const start = useSimulators({ credentials: [KEY], verifiedIdentities: ['example.com'] });

describe('greeting and EHLO', () => {
  it('greets like SES with a fresh banner per connection', async () => {
    const sim = await start();
    const a = await SmtpProbe.open(sim.starttlsPort);
    const b = await SmtpProbe.open(sim.starttlsPort);
    const [ga, gb] = [await a.read(), await b.read()];
    for (const greeting of [ga, gb]) {
      expect(greeting.raw).toMatch(
        /^220 email-smtp\.amazonaws\.com ESMTP SimpleEmailService-d-[A-Z0-9]{9} [A-Za-z0-9]{20}$/,
      );
    }
    expect(ga.raw).not.toBe(gb.raw);
    a.close();
    b.close();
  });

  it('advertises 8BITMIME, STARTTLS and AUTH PLAIN LOGIN then Ok; no STARTTLS after TLS', async () => {
    const sim = await start();
    const probe = await SmtpProbe.open(sim.starttlsPort);
    await probe.read();
    const before = await probe.command('EHLO client.test');
    expect(before.raw).toBe(
      ['250-email-smtp.amazonaws.com', '250-8BITMIME', '250-STARTTLS', '250-AUTH PLAIN LOGIN', '250 Ok'].join(
        '\n',
      ),
    );
    expect(await probe.startTls(sim.caPem)).toMatchObject({ code: 220, lines: ['Ready to start TLS'] });
    const after = await probe.command('EHLO client.test');
    expect(after.raw).toBe(
      ['250-email-smtp.amazonaws.com', '250-8BITMIME', '250-AUTH PLAIN LOGIN', '250 Ok'].join('\n'),
    );
    probe.close();
  });

  it('serves implicit TLS on the TLS port with the test CA', async () => {
    const sim = await start();
    const probe = await SmtpProbe.open(sim.tlsPort, { tls: { ca: await readFile(sim.caFile, 'utf8') } });
    expect((await probe.read()).code).toBe(220);
    const ehlo = await probe.command('EHLO client.test');
    expect(ehlo.lines).toEqual(['email-smtp.amazonaws.com', '8BITMIME', 'AUTH PLAIN LOGIN', 'Ok']);
    const user = sim.users[0]!;
    expect((await probe.command(`AUTH PLAIN ${plain(user.user, user.pass)}`)).code).toBe(235);
    expect((await sendMessage(probe, 'a@example.com', ['success@simulator.amazonses.com'])).code).toBe(250);
    probe.close();
  });
});

describe('authentication', () => {
  it('refuses AUTH before STARTTLS with 530', async () => {
    const sim = await start();
    const probe = await SmtpProbe.open(sim.starttlsPort);
    await probe.read();
    await probe.command('EHLO client.test');
    const reply = await probe.command(`AUTH PLAIN ${plain(KEY.accessKeyId, sim.users[0]!.pass)}`);
    expect(reply.raw).toBe('530 Must issue a STARTTLS command first');
    expect(sim.stats.rejected['tls-required']).toBe(1);
    probe.close();
  });

  it('accepts AUTH PLAIN with the derived SigV4 password for the region', async () => {
    const sim = await start({ region: 'eu-central-1' });
    expect(sim.users).toEqual([
      { user: KEY.accessKeyId, pass: 'BMXhUYlu5Z3gSXVQORxlVa7XPaz91aGWdfHxvkOZdWZ2' },
    ]);
    const probe = await authenticatedProbe(sim); // asserts 235
    probe.close();
  });

  it('answers a good AUTH with SES text', async () => {
    const sim = await start();
    const probe = await greetedTlsProbe(sim);
    const reply = await probe.command(`AUTH PLAIN ${plain(KEY.accessKeyId, sim.users[0]!.pass)}`);
    expect(reply.raw).toBe('235 Authentication successful.');
    probe.close();
  });

  it.each([
    ['the raw secret key', KEY.accessKeyId, KEY.secretAccessKey],
    [
      'a password for another region',
      KEY.accessKeyId,
      deriveSesSmtpPassword(KEY.secretAccessKey, 'us-west-1'),
    ],
    [
      'an unknown access key id',
      'AKIAUNKNOWN000000000',
      deriveSesSmtpPassword(KEY.secretAccessKey, 'us-east-1'),
    ],
    [
      'a legacy V2 password (not accepted by default)',
      KEY.accessKeyId,
      deriveSesSmtpPasswordV2(KEY.secretAccessKey),
    ],
  ])('refuses AUTH PLAIN with %s: 535', async (_name, user, pass) => {
    const sim = await start();
    const probe = await greetedTlsProbe(sim);
    expect((await probe.command(`AUTH PLAIN ${plain(user, pass)}`)).raw).toBe(
      '535 Authentication Credentials Invalid',
    );
    expect(sim.stats.rejected['auth-invalid']).toBe(1);
    probe.close();
  });

  it('accepts V2 passwords when asked to', async () => {
    const sim = await start({ acceptV2Passwords: true });
    const probe = await greetedTlsProbe(sim);
    const pass = deriveSesSmtpPasswordV2(KEY.secretAccessKey);
    expect((await probe.command(`AUTH PLAIN ${plain(KEY.accessKeyId, pass)}`)).code).toBe(235);
    probe.close();
  });

  it('runs AUTH LOGIN with SES prompts, good and bad', async () => {
    const sim = await start();
    for (const [pass, expected] of [
      [sim.users[0]!.pass, '235 Authentication successful.'],
      ['wrong', '535 Authentication Credentials Invalid'],
    ] as const) {
      const probe = await greetedTlsProbe(sim);
      expect((await probe.command('AUTH LOGIN')).raw).toBe('334 VXNlcm5hbWU6');
      expect((await probe.command(b64(KEY.accessKeyId))).raw).toBe('334 UGFzc3dvcmQ6');
      expect((await probe.command(b64(pass))).raw).toBe(expected);
      probe.close();
    }
  });

  it('refuses MAIL before AUTH with 530 Authentication required', async () => {
    const sim = await start();
    const probe = await greetedTlsProbe(sim);
    expect((await probe.command('MAIL FROM:<a@example.com>')).raw).toBe('530 Authentication required');
    expect(sim.stats.rejected['auth-required']).toBe(1);
    probe.close();
  });
});

describe('accepted messages', () => {
  it('answers 250 Ok <SES-shaped id> and keeps the message', async () => {
    const now = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
    const sim = await start({ clock: () => now });
    const probe = await authenticatedProbe(sim);
    expect((await probe.command('MAIL FROM:<a@example.com>')).raw).toBe('250 Ok');
    expect((await probe.command('RCPT TO:<success@simulator.amazonses.com>')).raw).toBe('250 Ok');
    expect((await probe.command('DATA')).raw).toBe('354 End data with <CR><LF>.<CR><LF>');
    probe.write('From: a@example.com\r\nSubject: hi\r\n\r\n..dot-stuffed\r\n');
    const reply = await probe.command('.');
    expect(reply.raw).toMatch(/^250 Ok \S+$/);
    const id = reply.lines[0]!.slice('Ok '.length);
    expect(id).toMatch(SES_MESSAGE_ID_PATTERN);
    expect(id.slice(0, 16)).toBe(`0101${now.toString(16).padStart(12, '0')}`);
    expect(sim.messages).toHaveLength(1);
    const message = sim.messages[0]!;
    expect(message).toMatchObject({ id, from: 'a@example.com', to: ['success@simulator.amazonses.com'] });
    expect(message.receivedAt).toBe(now);
    expect(Buffer.from(message.raw).toString()).toBe(
      'From: a@example.com\r\nSubject: hi\r\n\r\n.dot-stuffed\r\n',
    );
    expect(sim.stats.accepted).toBe(1);
    expect((await probe.command('QUIT')).raw).toBe('221 Bye');
    probe.close();
  });

  it('writes each accepted message to mailDir as <id>.eml', async () => {
    const mailDir = join(await mkdtemp(join(tmpdir(), 'ses-sim-test-')), 'mail');
    try {
      const sim = await start({ mailDir });
      const probe = await authenticatedProbe(sim);
      const body = 'From: a@example.com\r\nSubject: saved\r\n\r\nBody\r\n';
      const reply = await sendMessage(probe, 'a@example.com', ['success@simulator.amazonses.com'], body);
      const id = reply.lines[0]!.slice('Ok '.length);
      expect(await readdir(mailDir)).toEqual([`${id}.eml`]);
      expect(await readFile(join(mailDir, `${id}.eml`), 'utf8')).toBe(body);
      probe.close();
    } finally {
      await rm(join(mailDir, '..'), { recursive: true, force: true });
    }
  });

  it('refuses to start with a mailDir it cannot write to (every message would get 451, unexplained)', async () => {
    // A file where the directory should be: it can be neither made nor written into.
    await expect(start({ mailDir: '/etc/hostname' })).rejects.toMatchObject({
      code: 'SMTP_INVALID_ARGUMENT',
      field: 'mailDir',
    });
  });

  it('gives a queued forced reply at the next final dot', async () => {
    const sim = await start();
    sim.failNextMessage();
    const probe = await authenticatedProbe(sim);
    const to = ['success@simulator.amazonses.com'];
    expect((await sendMessage(probe, 'a@example.com', to)).raw).toBe('451 Temporary service failure');
    expect((await sendMessage(probe, 'a@example.com', to)).code).toBe(250);
    probe.close();
  });
});

describe('server errors never crash the process', () => {
  const until = async (ready: () => boolean, what: string): Promise<void> => {
    for (let waited = 0; !ready(); waited += 10) {
      if (waited > 3000) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };

  it('counts a client that closes the implicit-TLS port before the handshake, and keeps serving', async () => {
    const errors: { message: string; listener: string }[] = [];
    const sim = await start({
      onError: (error, listener) => errors.push({ message: error.message, listener }),
    });
    const socket = netConnect({ host: '127.0.0.1', port: sim.tlsPort });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    socket.destroy();
    await until(() => sim.stats.errors > 0, 'the simulator to see the aborted handshake');
    expect(sim.stats.errors).toBe(errors.length);
    expect(errors[0]?.listener).toBe('tls');
    const probe = await SmtpProbe.open(sim.tlsPort, { tls: { ca: sim.caPem } });
    expect((await probe.read()).code).toBe(220);
    probe.close();
  });

  it('rejects with SesSimulatorListenError when a port is taken, and frees the port it did bind', async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const taken = (busy.address() as AddressInfo).port;
    const spare = createServer();
    await new Promise<void>((resolve) => spare.listen(0, '127.0.0.1', resolve));
    const free = (spare.address() as AddressInfo).port;
    await new Promise((resolve) => spare.close(resolve));
    try {
      const failure = await start({ starttlsPort: free, tlsPort: taken }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(SesSimulatorListenError);
      expect(failure).toMatchObject({ code: 'EADDRINUSE', port: taken, listener: 'tls' });
      // The STARTTLS listener that did start was closed again: its port can be bound.
      const again = createServer();
      await new Promise<void>((resolve, reject) => {
        again.once('error', reject);
        again.listen(free, '127.0.0.1', resolve);
      });
      await new Promise((resolve) => again.close(resolve));
      const first = await start({ starttlsPort: taken }).catch((error: unknown) => error);
      expect(first).toMatchObject({ name: 'SesSimulatorListenError', listener: 'starttls', port: taken });
    } finally {
      await new Promise((resolve) => busy.close(resolve));
    }
  });
});
