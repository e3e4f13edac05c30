/**
 * A body is written in 64 KiB slices, and the session counts it finished (a loss then is 'unknown')
 * when the last slice is handed over. So the last slice must hold the whole end of data
 * (`CRLF.CRLF`): were its dot in the slice before, a close while the writer waits for 'drain' would
 * be reported 'not-sent' with a byte of the terminator already on the wire.
 */
import { EventEmitter } from 'node:events';
import type * as net from 'node:net';
import { describe, expect, it } from 'vitest';
import { BodyWriter } from '../../src/transport/body-writer.js';
import { prepareMessage } from '../../src/transport/message-source.js';

/** Takes every write and is always full: the writer waits for a 'drain' that never comes. */
class FullSocket extends EventEmitter {
  destroyed = false;
  readonly written: Uint8Array[] = [];
  write(bytes: Uint8Array): boolean {
    this.written.push(bytes);
    return false;
  }
}

/** A message whose dot-stuffed DATA encoding (one buffer: the writer slices it) is `octets` long. */
function stuffedMessageEncodedTo(octets: number): string {
  // '.x' needs stuffing (+1 octet); the terminator '.\r\n' follows the final CRLF (+3).
  const head = '.x\r\n';
  const line = `${'a'.repeat(98)}\r\n`;
  const lines = Math.floor((octets - head.length - 4 - 100) / 100);
  let message = head + line.repeat(lines);
  message += `${'b'.repeat(octets - 4 - message.length - 2)}\r\n`;
  return message;
}

describe('the last slice of a body holds its whole terminator', () => {
  for (const extra of [0, 1, 2, 3, 4, 5, 6]) {
    it(`an encoding of 64 KiB + ${extra} octets`, async () => {
      const total = 64 * 1024 + extra;
      const body = prepareMessage(stuffedMessageEncodedTo(total));
      const socket = new FullSocket();
      let finishedAt: number | undefined;
      const writer = new BodyWriter(socket as unknown as net.Socket, {
        maxSize: 1e9,
        allow8bit: true,
        progress: () => {},
        finished: () => {
          finishedAt ??= socket.written.length;
        },
        failed: () => {},
      });
      const done = writer.run(body);
      for (let turn = 0; turn < 10 && finishedAt === undefined; turn++) {
        await new Promise((resolve) => setImmediate(resolve));
        socket.emit('drain');
      }
      await done;
      const wire = Buffer.concat(socket.written).toString('latin1');
      expect(wire.length).toBe(total);
      expect(wire.endsWith('\r\n.\r\n')).toBe(true);
      // Counted finished with the last write, and no write before it carried a byte of CRLF.CRLF.
      expect(finishedAt).toBe(socket.written.length);
      const before = socket.written.slice(0, -1).reduce((sum, bytes) => sum + bytes.length, 0);
      expect(before).toBeLessThanOrEqual(total - 5);
    });
  }
});
