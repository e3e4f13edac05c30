/**
 * A stream body whose socket dies under a write (ECONNRESET destroys it; 'close' may come after the
 * writer has given up): the caller's stream is released all the same — destroyed, its generator's
 * `finally` run — not left open with its file or connection.
 */
import { EventEmitter } from 'node:events';
import type * as net from 'node:net';
import { Readable } from 'node:stream';
import { expect, it } from 'vitest';
import { BodyWriter } from '../../src/transport/body-writer.js';
import { prepareMessage } from '../../src/transport/message-source.js';

it.each(['data', 'bdat'] as const)(
  '%s: the Readable is destroyed and its source cleaned up',
  async (transfer) => {
    let cleaned = false;
    const source = Readable.from(
      (async function* () {
        try {
          for (let i = 0; i < 100; i++) yield Buffer.from(`${'a'.repeat(98)}\r\n`.repeat(700));
        } finally {
          cleaned = true;
        }
      })(),
    );
    const socket = Object.assign(new EventEmitter(), {
      destroyed: false,
      write(): boolean {
        socket.destroyed = true;
        return true;
      },
    });
    const log: string[] = [];
    await new BodyWriter(socket as unknown as net.Socket, {
      maxSize: 1e9,
      allow8bit: true,
      transfer,
      chunk: () => {},
      progress: () => {},
      finished: () => log.push('finished'),
      failed: () => log.push('failed'),
    }).run(prepareMessage(source));
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    // Neither end reported: the connection's close tells the session ('not-sent': no end of data).
    expect(log).toEqual([]);
    expect(source.destroyed).toBe(true);
    expect(cleaned).toBe(true);
  },
);
