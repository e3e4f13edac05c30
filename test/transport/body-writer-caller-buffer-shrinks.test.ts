/**
 * A caller's buffer that shrinks (a resizable ArrayBuffer) or is transferred while its body is being
 * written: the slices cut from it then read as fewer octets (none), and writing them would put a
 * truncated body — then the dot, or nothing after a `BDAT n LAST` — on the wire. The writer refuses
 * instead, as it does when the content changes: `failed`, and neither the end of data nor the rest
 * is written.
 */
import { EventEmitter } from 'node:events';
import type * as net from 'node:net';
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors/codes.js';
import type { SmtpError } from '../../src/errors/smtp-error.js';
import { BodyWriter } from '../../src/transport/body-writer.js';
import { prepareBinary, prepareMessage, unstuffedSize } from '../../src/transport/message-source.js';

const Resizable = ArrayBuffer as unknown as new (
  length: number,
  options: { maxByteLength: number },
) => ArrayBuffer & { resize(length: number): void };

/** Always full: the writer waits for 'drain' after every slice. */
class FullSocket extends EventEmitter {
  destroyed = false;
  readonly written: Uint8Array[] = [];
  write(bytes: Uint8Array): boolean {
    // As a real net.Socket does with a view whose buffer shrank or went away: zero octets, no error.
    this.written.push(bytes.length === 0 ? new Uint8Array(0) : Uint8Array.from(bytes));
    return false;
  }
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

async function writeWhile(
  change: (buffer: ArrayBuffer & { resize(length: number): void }) => void,
  bdat: boolean,
  binary: boolean,
) {
  const size = 200_000;
  const buffer = new Resizable(size, { maxByteLength: size });
  const bytes = new Uint8Array(buffer);
  for (let i = 0; i < size; i += 100) {
    bytes.fill(0x61, i, i + 98);
    bytes[i + 98] = 0x0d;
    bytes[i + 99] = 0x0a;
  }
  const body = binary ? prepareBinary(bytes) : prepareMessage(bytes);
  if (body.kind !== 'encoded') throw new Error('expected an encoded body');
  const socket = new FullSocket();
  const log: string[] = [];
  let failure: SmtpError | undefined;
  const writer = new BodyWriter(socket as unknown as net.Socket, {
    maxSize: 1e9,
    allow8bit: true,
    ...(bdat ? { transfer: 'bdat' as const, announcedOctets: unstuffedSize(body) } : {}),
    progress: () => {},
    finished: () => log.push('finished'),
    failed: (error) => {
      log.push('failed');
      failure = error;
    },
  });
  const done = writer.run(body);
  await tick();
  expect(socket.written).toHaveLength(1);
  change(buffer);
  for (let i = 0; i < 10; i++) {
    socket.emit('drain');
    await tick();
  }
  await done;
  const wire = Buffer.concat(socket.written).toString('latin1');
  return { log, failure, wire };
}

describe.each([
  ['shrinks', (buffer: ArrayBuffer & { resize(length: number): void }) => buffer.resize(1000)],
  ['is transferred', (buffer: ArrayBuffer) => void structuredClone(buffer, { transfer: [buffer] })],
])('a caller buffer that %s mid-write', (_, change) => {
  it.each([
    ['DATA', false, false],
    ['BDAT', true, false],
    ['BDAT, binary', true, true],
  ])('%s: failed (the body changed), only the first slice out, no end of data', async (__, bdat, binary) => {
    const { log, failure, wire } = await writeWhile(change, bdat, binary);
    expect(log).toEqual(['failed']);
    expect(failure?.code).toBe(ErrorCodes.INVALID_ARGUMENT);
    expect(failure?.message).toMatch(/changed after send/);
    expect(wire.length).toBe(64 * 1024);
    expect(wire.endsWith('\r\n.\r\n')).toBe(false);
  });
});
