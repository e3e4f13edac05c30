/**
 * nodemailer as a BenchClient, at its best setting (issue #7): a pooled SMTP transport with
 * `maxMessages: Infinity`, the prepared message handed over as `raw` (no MIME composition).
 */
import type { Readable } from 'node:stream';
import { createTransport } from 'nodemailer';
import { type BenchClient, type ClientSetup, windowed } from './bench-client.js';
import { CLIENT_NAME, FROM, TO } from './message-fixture.js';

export function createNodemailerClient(setup: ClientSetup): BenchClient {
  const transport = createTransport({
    host: setup.host,
    port: setup.port,
    secure: false,
    ignoreTLS: true,
    pool: true,
    maxConnections: setup.connections,
    maxMessages: Infinity,
    name: CLIENT_NAME,
  });
  const window = Math.max(8, 8 * setup.connections);
  const sendOne = (raw: Buffer | Readable) => () =>
    transport.sendMail({ envelope: { from: FROM, to: [TO] }, raw });
  return {
    warm: (count) => windowed(count, window, sendOne(setup.warmBody)),
    run: (count) => windowed(count, window, () => sendOne(setup.body())()),
    async close() {
      transport.close();
    },
  };
}
