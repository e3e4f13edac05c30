import { EventEmitter } from 'node:events';
import type * as net from 'node:net';
import { describe, expect, it } from 'vitest';
import { BodyWriter } from '../../src/transport/body-writer.js';
import { prepareMessage } from '../../src/transport/message-source.js';

// RFC 3030 §2: an empty message over BDAT is `BDAT 0 LAST` and no octet after it. The body writer
// then writes nothing, and must still say the body is finished (or the session waits for ever).
describe('BDAT: an empty pre-encoded body', () => {
  it('writes no octet and reports finished', async () => {
    const written: Uint8Array[] = [];
    const socket = Object.assign(new EventEmitter(), {
      destroyed: false,
      write: (bytes: Uint8Array) => written.push(bytes) > 0,
    });
    const log: string[] = [];
    await new BodyWriter(socket as unknown as net.Socket, {
      maxSize: 1000,
      allow8bit: true,
      transfer: 'bdat',
      announcedOctets: 0,
      progress: () => {},
      finished: () => log.push('finished'),
      failed: () => log.push('failed'),
    }).run(prepareMessage(''));
    expect(log).toEqual(['finished']);
    expect(written.reduce((n, bytes) => n + bytes.length, 0)).toBe(0);
  });
});
