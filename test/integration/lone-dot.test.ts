/**
 * RFC 2920 §3.1: "if the DATA command was accepted the client SMTP should send a single dot". A
 * server that says 354 to a pipelined DATA after refusing every recipient gets ".\r\n" — not the
 * message — and the connection goes on: the sends behind it go out on it and are delivered.
 */
import { expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors/codes.js';
import { harness } from '../support/client-harness.js';

const envelope = { from: 'a@example.test', to: ['b@example.test'] };
const message = (n: number) => `Subject: ${n}\r\n\r\nbody ${n}\r\n`;

it('354 after every RCPT was refused: a single dot, the send rejected, the next ones delivered on the same connection', async () => {
  const { server, client } = await harness(
    { overrides: { RCPT: '550 5.1.1 no such user', DATA: '354 go ahead anyway' } },
    { security: 'none' },
  );
  const refused = client.send({ ...envelope, message: message(1) }).catch((e) => e);
  const behind = client.send({ ...envelope, message: message(2) }).catch((e) => e);
  expect(await refused).toMatchObject({ code: ErrorCodes.ALL_RECIPIENTS_REJECTED, outcome: 'rejected' });
  server.override('RCPT', undefined);
  server.override('DATA', undefined);
  // `behind` was held as the pipelined next while the first was in flight, and may have met the
  // overrides too; a third send, after them, is delivered whatever happened.
  await behind;
  const third = await client.send({ ...envelope, message: message(3) });
  expect(third.reply.code).toBe(250);
  expect(server.connections).toHaveLength(1);
  const wire = server.connections[0]!.received().toString('latin1');
  expect(wire).toContain('DATA\r\n.\r\n');
  expect(wire).not.toContain('body 1');
  expect(server.transactions.map((t) => t.content.toString('latin1'))).toContain(message(3));
  await client.close();
});
