/**
 * nodemailer as a BenchClient, at its best setting (issue #7): a pooled SMTP transport with
 * `maxMessages: Infinity`, the prepared message handed over as `raw` (no MIME composition), or, in
 * the composed cases, the message's fields for nodemailer to compose.
 */
import type { Readable } from 'node:stream';
import { createTransport } from 'nodemailer';
import { type BenchClient, type ClientSetup, windowed } from './bench-client.js';
import { CLIENT_NAME, COMPOSE_FIELDS, FROM, TO } from './message-fixture.js';

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
  // Composed: nodemailer builds the MIME message itself (its MailComposer), as most callers use it.
  const composeOne = () => transport.sendMail({ ...COMPOSE_FIELDS });
  return {
    warm: (count) => windowed(count, window, setup.composed ? composeOne : sendOne(setup.warmBody)),
    run: (count) => windowed(count, window, setup.composed ? composeOne : () => sendOne(setup.body())()),
    async close() {
      transport.close();
    },
  };
}
