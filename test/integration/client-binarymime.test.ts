/**
 * `binary: true`: the message's octets unchanged as BODY=BINARYMIME over BDAT (RFC 3030 §3) — bare
 * CR and LF, NUL, lines of any length, a lone "." line — against a scripted server that offers
 * CHUNKING and BINARYMIME; refused before MAIL (SMTP_BINARY_NOT_SUPPORTED) where it cannot go.
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createPool } from '../../src/delivery/pool.js';
import { ErrorCodes } from '../../src/errors/codes.js';
import { harness, rejection } from '../support/client-harness.js';
import { startScriptedServer } from '../support/scripted-server.js';

const BINARY_CAPS = ['PIPELINING', '8BITMIME', 'CHUNKING', 'BINARYMIME', 'SIZE 100000'];
const envelope = { from: 'a@example.test', to: 'b@example.test' };

/** Octets that DATA could not carry unchanged: bare LF and CR, NUL, 0xFF, a 2,000-octet line, a "." line. */
function binaryBody(): Uint8Array {
  const parts = [
    Buffer.from('Content-Type: application/octet-stream\r\n\r\n'),
    Buffer.from([0x00, 0x0a, 0x0d, 0xff, 0x0d, 0x0a, 0x2e, 0x0d, 0x0a, 0x2e, 0x2e, 0x0a]),
    Buffer.alloc(2000, 0x41),
    Buffer.from('\r\n.\r\nMAIL FROM:<x@example.test>\r\n'),
  ];
  return new Uint8Array(Buffer.concat(parts));
}

describe('BINARYMIME (RFC 3030 §3)', () => {
  it.each([
    ['pipelined', {}],
    ['lock-step', { pipelining: false }],
  ] as const)('%s: BODY=BINARYMIME, one BDAT n LAST, the octets arrive unchanged', async (_name, options) => {
    const { server, client } = await harness({ capabilities: BINARY_CAPS }, { security: 'none', ...options });
    const body = binaryBody();
    const result = await client.send({ ...envelope, message: body, binary: true });
    expect(result.reply.code).toBe(250);
    const [transaction] = server.transactions;
    expect(transaction?.via).toBe('BDAT');
    expect(transaction?.mailParams).toEqual(
      expect.arrayContaining(['BODY=BINARYMIME', `SIZE=${body.length}`]),
    );
    expect(Buffer.compare(transaction!.content, Buffer.from(body))).toBe(0);
    const bdat = server.connections[0]!.commands.filter((c) => c.verb === 'BDAT').map((c) => c.line);
    expect(bdat).toEqual([`BDAT ${body.length} LAST`]);
    await client.close();
  });

  it.each([
    ['pipelined', {}],
    ['lock-step', { pipelining: false }],
  ] as const)(
    '%s: a large body (written in blocks, not inline) arrives unchanged',
    async (_name, options) => {
      const { server, client } = await harness(
        { capabilities: BINARY_CAPS },
        { security: 'none', ...options },
      );
      const body = new Uint8Array(90_000).map((_, i) => (i * 7919) % 256); // every octet value, NULs included
      await client.send({ ...envelope, message: body, binary: true });
      const [transaction] = server.transactions;
      expect(transaction?.mailParams).toEqual(expect.arrayContaining(['BODY=BINARYMIME', 'SIZE=90000']));
      const bdat = server.connections[0]!.commands.filter((c) => c.verb === 'BDAT').map((c) => c.line);
      expect(bdat).toEqual(['BDAT 90000 LAST']);
      expect(Buffer.compare(transaction!.content, Buffer.from(body))).toBe(0);
      await client.close();
    },
  );

  it('no 8BITMIME needed: BINARYMIME declares the octets (RFC 3030 §3)', async () => {
    const { server, client } = await harness(
      { capabilities: ['PIPELINING', 'CHUNKING', 'BINARYMIME'] },
      { security: 'none' },
    );
    const body = binaryBody();
    await client.send({ ...envelope, message: body, binary: true });
    expect(Buffer.compare(server.transactions[0]!.content, Buffer.from(body))).toBe(0);
    await client.close();
  });

  it('an array whose length changed after send() (a resizable buffer) is refused, never written short or long', async () => {
    const { server, client } = await harness({ capabilities: BINARY_CAPS }, { security: 'none' });
    // ES2024 resizable ArrayBuffer (Node 20 has it; the project's TypeScript lib predates it).
    const Resizable = ArrayBuffer as unknown as new (
      length: number,
      options: { maxByteLength: number },
    ) => ArrayBuffer & { resize(length: number): void };
    const buffer = new Resizable(8, { maxByteLength: 64 });
    const body = new Uint8Array(buffer); // tracks the buffer's length
    body.set(Buffer.from('12345678'));
    const sent = client.send({ ...envelope, message: body, binary: true });
    buffer.resize(40); // the BDAT count announced is 8
    const error = await rejection(sent);
    expect(error).toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT, outcome: 'not-sent' });
    expect(server.transactions).toHaveLength(0);
    await client.close();
  });

  it('through the pool: BODY=BINARYMIME, the octets unchanged', async () => {
    const server = await startScriptedServer({ capabilities: BINARY_CAPS });
    const pool = createPool({ host: '127.0.0.1', port: server.port, security: 'none', maxConnections: 1 });
    try {
      const body = binaryBody();
      const result = await pool.send({ ...envelope, message: body, binary: true });
      expect(result.attempts).toHaveLength(1);
      expect(server.transactions[0]?.mailParams).toContain('BODY=BINARYMIME');
      expect(Buffer.compare(server.transactions[0]!.content, Buffer.from(body))).toBe(0);
    } finally {
      await pool.close();
      await server.close();
    }
  });

  it('a string is sent as its UTF-8 octets, bare line feeds and all', async () => {
    const { server, client } = await harness({ capabilities: BINARY_CAPS }, { security: 'none' });
    const message = 'Subject: lf only\n\ncaf\u00e9\n.\n';
    await client.send({ ...envelope, message, binary: true });
    expect(server.transactions[0]?.content.toString('utf8')).toBe(message);
    await client.close();
  });

  it.each([
    ['CHUNKING without BINARYMIME', ['PIPELINING', '8BITMIME', 'CHUNKING'], {}],
    ['neither', ['PIPELINING', '8BITMIME'], {}],
    ['chunking: false in the client', BINARY_CAPS, { chunking: false }],
  ] as const)(
    '%s: SMTP_BINARY_NOT_SUPPORTED, not sent, no MAIL written',
    async (_name, capabilities, options) => {
      const { server, client } = await harness({ capabilities }, { security: 'none', ...options });
      const error = await rejection(client.send({ ...envelope, message: binaryBody(), binary: true }));
      expect(error).toMatchObject({ code: ErrorCodes.BODY_BINARY_NOT_SUPPORTED, outcome: 'not-sent' });
      expect(server.connections[0]?.commands.map((c) => c.verb)).not.toContain('MAIL');
      // The connection stays usable for an ordinary message.
      expect((await client.send({ ...envelope, message: 'Subject: x\r\n\r\ny\r\n' })).reply.code).toBe(250);
      await client.close();
    },
  );

  it('a stream cannot be sent as binary (its size must be known): refused before connecting', async () => {
    const { server, client } = await harness({ capabilities: BINARY_CAPS }, { security: 'none' });
    const error = await rejection(
      client.send({ ...envelope, message: Readable.from([Buffer.from('x')]), binary: true }),
    );
    expect(error).toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT, field: 'message' });
    expect(server.connections).toHaveLength(0);
    const notBoolean = await rejection(
      client.send({ ...envelope, message: 'x', binary: 'yes' as unknown as boolean }),
    );
    expect(notBoolean).toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT, field: 'binary' });
    await client.close();
  });

  it('without binary the same octets are refused as text (bare line endings, NUL): binary is opt-in', async () => {
    const { server, client } = await harness({ capabilities: BINARY_CAPS }, { security: 'none' });
    const error = await rejection(client.send({ ...envelope, message: binaryBody() }));
    expect(error).toMatchObject({ code: ErrorCodes.BODY_NUL, outcome: 'not-sent' });
    expect(server.transactions).toHaveLength(0);
    await client.close();
  });
});
