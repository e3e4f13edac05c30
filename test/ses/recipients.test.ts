import * as net from 'node:net';
import { describe, expect, it } from 'vitest';
import { createPool } from '../../src/delivery/pool.js';
import { GENERIC_PROFILE, SES_PROFILE, speaksSes } from '../../src/errors/classify.js';
import { SmtpUsageError } from '../../src/errors/smtp-error.js';
import { checkSesRecipientCount, SES_MAX_RECIPIENTS } from '../../src/ses/recipients.js';
import { createClient } from '../../src/transport/client.js';

describe('checkSesRecipientCount', () => {
  it('allows up to 50', () => {
    expect(SES_MAX_RECIPIENTS).toBe(50);
    for (const count of [0, 1, 49, 50]) expect(() => checkSesRecipientCount(count)).not.toThrow();
  });

  it.each([51, 100, 10_000])('refuses %d with SMTP_TOO_MANY_RECIPIENTS before anything is sent', (count) => {
    expect(() => checkSesRecipientCount(count)).toThrow(SmtpUsageError);
    expect(() => checkSesRecipientCount(count)).toThrow(
      expect.objectContaining({
        code: 'SMTP_TOO_MANY_RECIPIENTS',
        outcome: 'not-sent',
        retryable: false,
      }),
    );
  });

  it.each([
    -1,
    1.5,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    2 ** 53, // an integer, but not a count anything could hold exactly
    Number.MAX_VALUE,
  ])('refuses %d as a count', (count) => {
    expect(() => checkSesRecipientCount(count)).toThrow(
      expect.objectContaining({ code: 'SMTP_INVALID_ARGUMENT' }),
    );
  });
});

const recipients = (count: number) => Array.from({ length: count }, (_, i) => `r${i}@example.test`);

/** A loopback port that counts the connections made to it (and drops each at once). */
async function countingListener() {
  const listener = net.createServer();
  let count = 0;
  listener.on('connection', (socket) => {
    count++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const { port } = listener.address() as net.AddressInfo;
  return {
    port,
    connections: () => count,
    close: () => new Promise<void>((resolve) => listener.close(() => resolve())),
  };
}

describe('createClient with the SES profile', () => {
  it('refuses 51 recipients before connecting; 51 to another host is the server’s business', async () => {
    const { port, connections, close } = await countingListener();
    const ses = createClient({ host: 'email-smtp.us-east-1.amazonaws.com', address: '127.0.0.1', port });
    const error = await ses
      .send({ from: 'a@example.test', to: recipients(51), message: 'x\r\n' })
      .catch((e) => e);
    expect(error).toMatchObject({ code: 'SMTP_TOO_MANY_RECIPIENTS', outcome: 'not-sent' });
    expect(connections()).toBe(0);
    await ses.close();
    const other = createClient({ host: '127.0.0.1', port, security: 'none' });
    const otherError = await other
      .send({ from: 'a@example.test', to: recipients(51), message: 'x\r\n' })
      .catch((e) => e);
    expect(otherError.code).not.toBe('SMTP_TOO_MANY_RECIPIENTS');
    expect(connections()).toBe(1);
    await other.close();
    await close();
  });

  it.each([
    ['SES_PROFILE', SES_PROFILE],
    ["a profile of the caller's extending it", { name: 'mine', rules: [], fallback: SES_PROFILE }],
  ])(
    'an explicit %s on another host name (simulator, proxy) refuses 51 before connecting too',
    async (_name, profile) => {
      const { port, connections, close } = await countingListener();
      const client = createClient({ host: '127.0.0.1', port, security: 'none', profile });
      const error = await client
        .send({ from: 'a@example.test', to: recipients(51), message: 'x\r\n' })
        .catch((e) => e);
      expect(error).toMatchObject({ code: 'SMTP_TOO_MANY_RECIPIENTS', outcome: 'not-sent' });
      expect(connections()).toBe(0);
      await client.close();
      await close();
    },
  );
});

describe('speaksSes', () => {
  it('is SES_PROFILE or a profile with it in its fallback chain', () => {
    const mine = { name: 'mine', rules: [], fallback: SES_PROFILE };
    expect(speaksSes(SES_PROFILE)).toBe(true);
    expect(speaksSes(mine)).toBe(true);
    expect(speaksSes({ name: 'outer', rules: [], fallback: mine })).toBe(true);
    expect(speaksSes(GENERIC_PROFILE)).toBe(false);
    expect(speaksSes({ name: 'ses', rules: [], fallback: GENERIC_PROFILE })).toBe(false);
    expect(speaksSes(undefined)).toBe(false);
  });

  it('a pool with a profile extending SES_PROFILE refuses 51 recipients in send(), before connecting', async () => {
    const { port, connections, close } = await countingListener();
    const pool = createPool({
      host: '127.0.0.1',
      port,
      security: 'none',
      profile: { name: 'mine', rules: [], fallback: SES_PROFILE },
    });
    const error = await pool
      .send({ from: 'a@example.test', to: recipients(51), message: 'x\r\n' })
      .catch((e) => e);
    expect(error).toMatchObject({ code: 'SMTP_TOO_MANY_RECIPIENTS', outcome: 'not-sent' });
    expect(connections()).toBe(0);
    await pool.close();
    await close();
  });
});
