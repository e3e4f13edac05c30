import { EventEmitter } from 'node:events';
import type * as net from 'node:net';
import { describe, expect, it } from 'vitest';
import { BodyWriter } from '../../src/transport/body-writer.js';
import { prepareMessage } from '../../src/transport/message-source.js';

// stop() releases the caller's source: an async iterable that is not a Readable (nothing to destroy)
// is ended by its iterator's return() once it yields, so its `finally` (closing a file, a cursor)
// runs instead of the generator staying suspended for ever.
describe('BodyWriter.stop: an async generator body is ended', () => {
  it("runs the generator's finally once it yields after stop()", async () => {
    let release: (() => void) | undefined;
    let cleanedUp = false;
    const source = (async function* () {
      try {
        yield 'Subject: x\r\n\r\nfirst line\r\n';
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        yield 'second line\r\n';
        yield 'third line\r\n';
      } finally {
        cleanedUp = true;
      }
    })();
    const socket = Object.assign(new EventEmitter(), { destroyed: false, write: () => true });
    const writer = new BodyWriter(socket as unknown as net.Socket, {
      maxSize: 1e6,
      allow8bit: true,
      progress: () => {},
      finished: () => {},
      failed: () => {},
    });
    const done = writer.run(prepareMessage(source));
    await new Promise((resolve) => setImmediate(resolve));
    writer.stop();
    await done;
    release?.();
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(cleanedUp).toBe(true);
  });
});
