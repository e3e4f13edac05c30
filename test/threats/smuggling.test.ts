/**
 * threats.md §2 — SMTP smuggling (CVE-2023-51764/51765/51766): every public end-of-data vector sent
 * through createClient to a deliberately lenient server that would split the message on it. The
 * server must record exactly one transaction per send with exactly the normalised, dot-stuffed bytes,
 * however the body is chunked. Also NUL, over-long lines and 8-bit data without 8BITMIME.
 */
import * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient, type SmtpClient } from '../../src/transport/client.js';
import { harness, rejection, verbs } from '../support/client-harness.js';
import { type LenientServer, startLenientServer } from '../support/lenient-server.js';

const HEAD = 'Subject: smuggling\r\n\r\nbefore';
// What a vulnerable server would read as a second, forged transaction.
const SMUGGLED =
  'MAIL FROM:<admin@bank.test>\r\nRCPT TO:<victim@target.test>\r\nDATA\r\nFrom: admin@bank.test\r\n\r\nforged\r\n.\r\n';
const SMUGGLED_WIRE =
  'MAIL FROM:<admin@bank.test>\r\nRCPT TO:<victim@target.test>\r\nDATA\r\nFrom: admin@bank.test\r\n\r\nforged\r\n..\r\n.\r\n';

/** Each vector and what it must become on the wire (bare CR / bare LF → CRLF, leading dot doubled). */
const VECTORS: readonly (readonly [name: string, vector: string, wire: string])[] = [
  ['<LF>.<LF>', '\n.\n', '\r\n..\r\n'],
  ['<CR>.<CR>', '\r.\r', '\r\n..\r\n'],
  ['<CR>.<LF>', '\r.\n', '\r\n..\r\n'],
  ['<LF>.<CR>', '\n.\r', '\r\n..\r\n'],
  ['<LF>.<CR><LF>', '\n.\r\n', '\r\n..\r\n'],
  ['<CR><LF>.<LF>', '\r\n.\n', '\r\n..\r\n'],
  ['<CR>.<CR><LF>', '\r.\r\n', '\r\n..\r\n'],
  ['<CR><LF>.<CR>', '\r\n.\r', '\r\n..\r\n'],
  ['<CR><LF>.<CR><CR><LF>', '\r\n.\r\r\n', '\r\n..\r\n\r\n'],
  ['<CR><CR><LF>.<CR><CR><LF>', '\r\r\n.\r\r\n', '\r\n\r\n..\r\n\r\n'],
];
const NUL_VECTORS: readonly (readonly [string, string])[] = [
  ['<CR><LF><NUL>.<CR><LF>', '\r\n\x00.\r\n'],
  ['<CR><LF>.<NUL><CR><LF>', '\r\n.\x00\r\n'],
];

const utf8 = new TextEncoder();

async function* chunks(text: string, sizes: (index: number) => number): AsyncIterable<Uint8Array> {
  const bytes = utf8.encode(text);
  for (let offset = 0, i = 0; offset < bytes.length; i += 1) {
    const size = sizes(i);
    yield bytes.slice(offset, offset + size);
    offset += size;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

interface Rig {
  readonly server: LenientServer;
  readonly client: SmtpClient;
}
const rigs: Rig[] = [];

afterEach(async () => {
  for (const { server, client } of rigs.splice(0)) {
    await server.close();
    await client.close();
  }
});

async function lenientRig(capabilities?: readonly string[]): Promise<Rig> {
  const server = await startLenientServer(capabilities ? { capabilities } : {});
  const client = createClient({
    host: '127.0.0.1',
    port: server.port,
    security: 'none',
    clientName: 'client.test',
    timeouts: { command: 2000, dataTermination: 2000 },
  });
  const rig = { server, client };
  rigs.push(rig);
  return rig;
}

const envelope = { from: 'sender@example.test', to: ['rcpt@example.test'] };

describe('threats §2: the lenient server really is vulnerable (fixture check)', () => {
  it('splits a raw session on <LF>.<LF> into two transactions, as CVE-2023-51764 servers do', async () => {
    const server = await startLenientServer();
    rigs.push({ server, client: createClient({ host: '127.0.0.1', port: server.port, security: 'none' }) });
    const socket = net.connect(server.port, '127.0.0.1');
    socket.on('error', () => {});
    socket.write(
      `EHLO raw.test\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<b@x.test>\r\nDATA\r\n${HEAD}\n.\n${SMUGGLED}`,
    );
    await server.waitFor(() => server.transactions.length === 2);
    expect(server.transactions.map((t) => t.from)).toEqual(['a@x.test', 'admin@bank.test']);
    socket.destroy();
  });
});

describe('threats §2: smuggling vectors never end the message early', () => {
  for (const [name, vector, wire] of VECTORS) {
    it(`defends against smuggling with ${name}: whole, bytes, 1-byte chunks, every 2-way split`, async () => {
      const { server, client } = await lenientRig();
      const message = `${HEAD}${vector}${SMUGGLED}`;
      const expected = Buffer.from(`${HEAD}${wire}${SMUGGLED_WIRE}`, 'latin1');
      const bodies: (string | Uint8Array | AsyncIterable<Uint8Array>)[] = [
        message,
        utf8.encode(message),
        chunks(message, () => 1),
      ];
      // Split the body once at every offset around the vector (a dot or CR/LF across two chunks).
      for (let at = HEAD.length - 1; at <= HEAD.length + vector.length + 1; at += 1) {
        bodies.push(chunks(message, (i) => (i === 0 ? at : message.length)));
      }
      for (const [index, body] of bodies.entries()) {
        await client.send({ ...envelope, message: body });
        expect(server.transactions).toHaveLength(index + 1);
        expect(server.transactions[index]!.raw.toString('latin1')).toBe(expected.toString('latin1'));
      }
      expect(server.transactions.every((t) => t.from === envelope.from)).toBe(true);
      expect(server.connections).toHaveLength(1);
    });
  }

  it("defends against smtplib's case: abc<LF>.jkl<CR>foo<CR><LF>..blue", async () => {
    const { server, client } = await lenientRig();
    const message = 'abc\n.jkl\rfoo\r\n..blue';
    for (const body of [message, chunks(message, () => 1)]) {
      await client.send({ ...envelope, message: body });
    }
    expect(server.transactions.map((t) => t.raw.toString('latin1'))).toEqual([
      'abc\r\n..jkl\r\nfoo\r\n...blue\r\n.\r\n',
      'abc\r\n..jkl\r\nfoo\r\n...blue\r\n.\r\n',
    ]);
  });

  for (const [name, vector] of NUL_VECTORS) {
    it(`refuses NUL (${name}) in a whole body before connecting: SMTP_BODY_NUL, no byte written`, async () => {
      const { server, client } = await lenientRig();
      const error = await rejection(client.send({ ...envelope, message: `${HEAD}${vector}${SMUGGLED}` }));
      expect(error).toMatchObject({ code: 'SMTP_BODY_NUL', outcome: 'not-sent' });
      expect(server.connections).toHaveLength(0);
    });

    it(`refuses NUL (${name}) in a 1-byte-chunked stream: no terminator, no transaction, not-sent`, async () => {
      const { server, client } = await lenientRig();
      const error = await rejection(
        client.send({ ...envelope, message: chunks(`${HEAD}${vector}${SMUGGLED}`, () => 1) }),
      );
      expect(error).toMatchObject({ code: 'SMTP_BODY_NUL', outcome: 'not-sent' });
      await server.waitFor(() => server.connections[0]?.isClosed === true);
      expect(server.transactions).toEqual([]);
      expect(server.connections[0]!.plaintext().toString('latin1')).not.toContain('\x00');
      expect(server.connections[0]!.lines.map((l) => l.line)).not.toContain('MAIL FROM:<admin@bank.test>');
    });
  }
});

describe('threats §2: lines over 998 octets and 8-bit data', () => {
  const long = (octets: number) => `Subject: long\r\n\r\n${'x'.repeat(octets)}\r\n`;

  it('accepts a 998-octet line (the RFC 5321 §4.5.3.1.6 limit) unchanged', async () => {
    const { server, client } = await lenientRig();
    await client.send({ ...envelope, message: long(998) });
    expect(server.transactions[0]!.raw.toString()).toBe(`${long(998)}.\r\n`);
  });

  it('refuses a 999-octet line in a whole body before connecting: SMTP_BODY_LINE_TOO_LONG', async () => {
    const { server, client } = await lenientRig();
    const error = await rejection(client.send({ ...envelope, message: long(999) }));
    expect(error).toMatchObject({ code: 'SMTP_BODY_LINE_TOO_LONG', outcome: 'not-sent', field: 'message' });
    expect(server.connections).toHaveLength(0);
  });

  it('refuses a 999-octet line in a stream: no dot written, no transaction, not-sent', async () => {
    const { server, client } = await lenientRig();
    const error = await rejection(client.send({ ...envelope, message: chunks(long(999), () => 100) }));
    expect(error).toMatchObject({ code: 'SMTP_BODY_LINE_TOO_LONG', outcome: 'not-sent' });
    await server.waitFor(() => server.connections[0]?.isClosed === true);
    expect(server.transactions).toEqual([]);
    const wire = server.connections[0]!.plaintext().toString('latin1');
    expect(wire.slice(wire.indexOf('DATA\r\n') + 6)).not.toMatch(/(^|\n)\.\r\n/);
  });

  it('refuses an 8-bit whole body without 8BITMIME before MAIL: SMTP_8BIT_NOT_SUPPORTED', async () => {
    const { server, client } = await harness({ capabilities: ['PIPELINING'] }, { security: 'none' });
    const error = await rejection(
      client.send({ ...envelope, message: 'Subject: caf\u00e9\r\n\r\nna\u00efve\r\n' }),
    );
    expect(error).toMatchObject({ code: 'SMTP_8BIT_NOT_SUPPORTED', outcome: 'not-sent' });
    expect(verbs(server)).not.toContain('MAIL');
    expect(verbs(server)).not.toContain('DATA');
    expect(server.transactions).toEqual([]);
  });

  it('refuses an 8-bit stream without 8BITMIME before the dot: no transaction, not-sent', async () => {
    const { server, client } = await harness({ capabilities: ['PIPELINING'] }, { security: 'none' });
    const error = await rejection(
      client.send({ ...envelope, message: chunks('Subject: x\r\n\r\nna\u00efve\r\n', () => 3) }),
    );
    expect(error).toMatchObject({ code: 'SMTP_8BIT_NOT_SUPPORTED', outcome: 'not-sent' });
    await server.waitFor(() => server.connections[0]?.isClosed === true);
    expect(server.transactions).toEqual([]);
    expect(server.connections[0]!.pendingData.includes(0xc3)).toBe(false);
  });
});
