/**
 * Aborting one send mid-body closes the connection (the body cannot be taken back otherwise). The
 * send held behind it as the pipelined next (RFC 2920) was never written: not sent, retryable, and
 * named for what happened — the connection closed under it — not as a close of the client.
 */
import { expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors/codes.js';
import { harness } from '../support/client-harness.js';

const envelope = { from: 'a@example.test', to: ['b@example.test'] };

it('the send behind an aborted one fails CONNECTION_CLOSED, not-sent and retryable, the client still open', async () => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  async function* body() {
    yield Buffer.from('Subject: a\r\n\r\nfirst\r\n');
    await gate;
    yield Buffer.from('second\r\n');
  }
  const { server, client } = await harness({}, { security: 'none' });
  const controller = new AbortController();
  const first = client.send({ ...envelope, message: body(), signal: controller.signal }).catch((e) => e);
  await server.waitFor(() => (server.connections[0]?.pendingData.length ?? 0) > 0);
  const behind = client.send({ ...envelope, message: 'Subject: b\r\n\r\nhi\r\n' }).catch((e) => e);
  controller.abort();
  release();
  expect(await first).toMatchObject({ code: ErrorCodes.ABORTED, outcome: 'not-sent' });
  const error = await behind;
  expect(client.closed).toBe(false);
  expect(error).toMatchObject({
    code: ErrorCodes.CONNECTION_CLOSED,
    outcome: 'not-sent',
    retryable: true,
    phase: 'mail',
    cause: { code: ErrorCodes.ABORTED },
  });
  expect(error.message).toMatch(/aborted/);
  await client.close();
});
