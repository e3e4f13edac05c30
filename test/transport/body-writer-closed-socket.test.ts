import { EventEmitter } from 'node:events';
import type * as net from 'node:net';
import { describe, expect, it } from 'vitest';
import { BodyWriter } from '../../src/transport/body-writer.js';
import { prepareMessage } from '../../src/transport/message-source.js';

/** A socket that is "full" after every write (if `full`); the test destroys or closes it. */
class FakeSocket extends EventEmitter {
  destroyed = false;
  writes = 0;
  constructor(private readonly full: boolean) {
    super();
  }
  write(): boolean {
    this.writes++;
    return !this.full;
  }
}

function writer(socket: FakeSocket, log: string[]): BodyWriter {
  return new BodyWriter(socket as unknown as net.Socket, {
    maxSize: 1e9,
    allow8bit: true,
    progress: () => {},
    finished: () => log.push('finished'),
    failed: () => log.push('failed'),
  });
}

const BIG = `${'a'.repeat(100)}\r\n`.repeat(1500); // three 64 KiB slices and a tail
const settles = (done: Promise<void>) =>
  Promise.race([done.then(() => 'settled'), new Promise((r) => setTimeout(() => r('pending'), 200))]);

// The socket going away is seen by the writer itself, not only through stop(): a close while it
// waits for 'drain' ends the wait, and a destroyed socket gets no further write (nor the terminator).
describe('BodyWriter: the socket goes away mid-body', () => {
  it("a 'close' while waiting for drain ends run() without the terminator", async () => {
    const socket = new FakeSocket(true);
    const log: string[] = [];
    const done = writer(socket, log).run(prepareMessage(BIG));
    await new Promise((resolve) => setImmediate(resolve));
    expect(socket.writes).toBe(1);
    socket.destroyed = true;
    socket.emit('close');
    expect(await settles(done)).toBe('settled');
    expect(socket.writes).toBe(1);
    expect(log).toEqual([]);
  });

  it('a socket destroyed between two blocks gets no further write', async () => {
    const socket = new FakeSocket(false);
    const log: string[] = [];
    const original = socket.write.bind(socket);
    socket.write = () => {
      const flushed = original();
      socket.destroyed = true; // e.g. an error destroyed it after the first block was handed over
      return flushed;
    };
    await writer(socket, log).run(prepareMessage(BIG));
    expect(socket.writes).toBe(1);
    expect(log).toEqual([]);
  });
});
