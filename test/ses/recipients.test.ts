import * as net from 'node:net';
import { describe, expect, it } from 'vitest';
import { SES_PROFILE } from '../../src/errors/classify.js';
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

  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('refuses %d as a count', (count) => {
    expect(() => checkSesRecipientCount(count)).toThrow(
      expect.objectContaining({ code: 'SMTP_INVALID_ARGUMENT' }),
    );
  });
});

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
  const recipients = (count: number) => Array.from({ length: count }, (_, i) => `r${i}@example.test`);

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

  it('an explicit SES_PROFILE on another host name (simulator, proxy) refuses 51 before connecting too', async () => {
    const { port, connections, close } = await countingListener();
    const client = createClient({ host: '127.0.0.1', port, security: 'none', profile: SES_PROFILE });
    const error = await client
      .send({ from: 'a@example.test', to: recipients(51), message: 'x\r\n' })
      .catch((e) => e);
    expect(error).toMatchObject({ code: 'SMTP_TOO_MANY_RECIPIENTS', outcome: 'not-sent' });
    expect(connections()).toBe(0);
    await client.close();
    await close();
  });
});
