import { Readable } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { Connection } from '../../src/transport/connection.js';
import { harness, MESSAGE, rejection, verbs } from '../support/client-harness.js';

const envelope = { from: 'a@example.test', to: ['b@example.test'], message: MESSAGE };

/** A stream that yields `first`, then waits `delayMs`, then yields `rest` (or hangs when delayMs is Infinity). */
function slowStream(first: string, delayMs: number, rest = ''): Readable {
  let step = 0;
  return new Readable({
    read() {
      step += 1;
      if (step === 1) this.push(Buffer.from(first));
      else if (step === 2 && Number.isFinite(delayMs)) {
        setTimeout(() => {
          this.push(Buffer.from(rest));
          this.push(null);
        }, delayMs);
      }
    },
  });
}

function sawTerminator(received: Buffer): boolean {
  return received.includes('\r\n.\r\n');
}

describe('delivery outcomes against the scripted server', () => {
  it('pre-checks the size against the server SIZE: no MAIL is written', async () => {
    const { server, client } = await harness({ sizeLimit: 100 });
    const error = await rejection(
      client.send({ ...envelope, message: `Subject: big\r\n\r\n${'x'.repeat(200)}\r\n` }),
    );
    expect(error).toMatchObject({ code: 'SMTP_MESSAGE_TOO_LARGE', outcome: 'not-sent' });
    expect(verbs(server)).not.toContain('MAIL');
  });

  it('declares SIZE= with the message size (RFC 1870 §3) when the server offers SIZE', async () => {
    const { server, client } = await harness();
    await client.send({ ...envelope, message: 'Subject: dots\r\n\r\n.leading dot\r\n..two\r\n' });
    // Without the terminator and the stuffed dots: the content the server got, unstuffed.
    const expected = server.transactions[0]!.content.length;
    expect(server.transactions[0]!.raw.length).toBe(expected + 2 + 3);
    expect(server.transactions[0]!.mailParams).toContain(`SIZE=${expected}`);
  });

  it('sends to the bare <Postmaster> (RFC 5321 §4.1.1.3) as to the mailboxes beside it', async () => {
    const { server, client } = await harness();
    const result = await client.send({ ...envelope, to: ['Postmaster', 'b@example.test'] });
    expect(result.accepted).toEqual(['Postmaster', 'b@example.test']);
    expect(server.transactions[0]!.to).toEqual(['Postmaster', 'b@example.test']);
  });

  it('times out after the dot with outcome unknown (server silent to the dot)', async () => {
    const { client } = await harness({ overrides: { DOT: null } }, { timeouts: { dataTermination: 150 } });
    const error = await rejection(client.send(envelope));
    expect(error).toMatchObject({ code: 'SMTP_TIMEOUT', phase: 'data-end', outcome: 'unknown' });
  });

  it('reports unknown when the server closes after the dot without replying', async () => {
    const { server, client } = await harness({
      overrides: {
        DOT: (_line, connection) => {
          connection.destroy();
          return null;
        },
      },
    });
    const error = await rejection(client.send(envelope));
    expect(error).toMatchObject({ code: 'SMTP_CONNECTION_CLOSED', outcome: 'unknown' });
    expect(server.transactions).toHaveLength(1);
  });

  it('reports not-sent when the server closes instead of answering DATA', async () => {
    const { client } = await harness({
      overrides: {
        DATA: (_line, connection) => {
          connection.destroy();
          return null;
        },
      },
    });
    const error = await rejection(client.send(envelope));
    expect(error).toMatchObject({ code: 'SMTP_CONNECTION_CLOSED', outcome: 'not-sent' });
  });

  it('reports not-sent when the server closes after 354 while the body is still streaming', async () => {
    const { server, client } = await harness({
      overrides: {
        DATA: (_line, connection) => {
          setTimeout(() => connection.destroy(), 20);
          return '354 go ahead';
        },
      },
    });
    const error = await rejection(
      client.send({ ...envelope, message: slowStream('Subject: s\r\n\r\nfirst\r\n', 300, 'rest\r\n') }),
    );
    expect(error).toMatchObject({ code: 'SMTP_CONNECTION_CLOSED', outcome: 'not-sent' });
    expect(sawTerminator(server.connections[0]!.received())).toBe(false);
  });

  it('times out a stalled body stream (data block timeout) without writing the dot: not-sent', async () => {
    const { server, client } = await harness({}, { timeouts: { dataBlock: 150 } });
    const error = await rejection(
      client.send({ ...envelope, message: slowStream('Subject: s\r\n\r\nx\r\n', Infinity) }),
    );
    expect(error).toMatchObject({ code: 'SMTP_TIMEOUT', outcome: 'not-sent' });
    await server.waitFor(() => server.connections[0]!.isClosed);
    expect(sawTerminator(server.connections[0]!.received())).toBe(false);
    expect(server.transactions).toHaveLength(0);
  });

  it('streams a Node Readable body, encoded across chunk boundaries', async () => {
    const { server, client } = await harness();
    const chunks = ['Subject: stream\r', '\n\r\n.', 'dot line\n', 'bare lf\r', '\nend'];
    await client.send({ ...envelope, message: Readable.from(chunks.map((c) => Buffer.from(c))) });
    const transaction = server.transactions[0]!;
    expect(transaction.raw.toString()).toBe('Subject: stream\r\n\r\n..dot line\r\nbare lf\r\nend\r\n.\r\n');
    expect(transaction.content.toString()).toBe('Subject: stream\r\n\r\n.dot line\r\nbare lf\r\nend\r\n');
    expect(transaction.mailParams.some((p) => p.startsWith('SIZE='))).toBe(false);
  });

  it('stops a stream over the size limit before the dot, closes, and says it was not delivered', async () => {
    const { server, client } = await harness({}, { maxMessageSize: 2000 });
    const big = Readable.from(Array.from({ length: 20 }, () => Buffer.from(`${'y'.repeat(200)}\r\n`)));
    const error = await rejection(client.send({ ...envelope, message: big }));
    expect(error).toMatchObject({ code: 'SMTP_MESSAGE_TOO_LARGE', outcome: 'not-sent' });
    expect(error.message).toContain('NOT delivered');
    await server.waitFor(() => server.connections[0]!.isClosed);
    const received = server.connections[0]!.received();
    expect(sawTerminator(received)).toBe(false);
    expect(server.connections[0]!.pendingData.length).toBeLessThanOrEqual(2000);
    expect(server.transactions).toHaveLength(0);
    expect(big.destroyed).toBe(true);
  });

  it('refuses 8-bit data when the server lacks 8BITMIME, before the dot', async () => {
    const { server, client } = await harness({
      capabilities: ['PIPELINING', 'STARTTLS'],
      capabilitiesAfterTls: ['PIPELINING'],
    });
    const error = await rejection(client.send({ ...envelope, message: 'Subject: caf\u00e9\r\n\r\nx\r\n' }));
    expect(error.code).toBe('SMTP_8BIT_NOT_SUPPORTED');
    expect(server.transactions).toHaveLength(0);
    const streamed = await rejection(
      client.send({ ...envelope, message: Readable.from([Buffer.from('Subject: caf\u00e9\r\n\r\nx\r\n')]) }),
    );
    expect(streamed.code).toBe('SMTP_8BIT_NOT_SUPPORTED');
    expect(streamed.outcome).toBe('not-sent');
    expect(server.transactions).toHaveLength(0);
  });

  it('sends with BODY=8BITMIME when the server offers it', async () => {
    const { server, client } = await harness();
    await client.send({ ...envelope, message: 'Subject: caf\u00e9\r\n\r\nx\r\n' });
    expect(server.transactions[0]!.mailParams).toContain('BODY=8BITMIME');
  });

  it('pipelines MAIL, RCPT and DATA in one write when the server offers PIPELINING', async () => {
    const { server, client } = await harness();
    await client.send({ ...envelope, to: ['b@example.test', 'c@example.test'] });
    const commands = server.connections[0]!.commands.filter((c) => ['MAIL', 'RCPT', 'DATA'].includes(c.verb));
    expect(commands.map((c) => c.verb)).toEqual(['MAIL', 'RCPT', 'RCPT', 'DATA']);
    expect(new Set(commands.map((c) => c.chunk)).size).toBe(1);
  });

  for (const [name, serverOptions, clientOptions] of [
    ['pipelining: false', {}, { pipelining: false }],
    ['no PIPELINING offered', { capabilities: ['8BITMIME', 'STARTTLS'] }, {}],
  ] as const) {
    it(`waits for each reply with ${name}`, async () => {
      const { server, client } = await harness(serverOptions, clientOptions);
      await client.send({ ...envelope, to: ['b@example.test', 'c@example.test'] });
      const commands = server.connections[0]!.commands.filter((c) =>
        ['MAIL', 'RCPT', 'DATA'].includes(c.verb),
      );
      expect(commands.map((c) => c.verb)).toEqual(['MAIL', 'RCPT', 'RCPT', 'DATA']);
      expect(new Set(commands.map((c) => c.chunk)).size).toBe(4);
    });
  }

  it('reports per-recipient refusals and delivers to the rest', async () => {
    const { server, client } = await harness({
      overrides: {
        RCPT: (line, _c, fallback) => (line.includes('bad@') ? '550 5.1.1 no such user' : fallback()),
      },
    });
    const result = await client.send({ ...envelope, to: ['b@example.test', 'bad@example.test'] });
    expect(result.accepted).toEqual(['b@example.test']);
    expect(result.rejected).toEqual([
      { recipient: 'bad@example.test', reply: expect.objectContaining({ code: 550 }) },
    ]);
    expect(server.transactions[0]!.to).toEqual(['b@example.test']);
  });
});

describe('a failure that is not an SmtpError (a bug)', () => {
  it("once the send is on its connection it is INTERNAL_ERROR 'unknown', never a retryable 'not-sent'", async () => {
    const { client } = await harness();
    await client.send(envelope); // the connection is open
    const spy = vi.spyOn(Connection.prototype, 'send').mockRejectedValueOnce(new TypeError('a bug'));
    try {
      const error = await rejection(client.send(envelope));
      expect(error).toMatchObject({ code: 'SMTP_INTERNAL_ERROR', outcome: 'unknown', retryable: false });
      expect(error.cause).toBeInstanceOf(TypeError);
    } finally {
      spy.mockRestore();
    }
  });
});
