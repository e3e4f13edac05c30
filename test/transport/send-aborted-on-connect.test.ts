import { describe, expect, it } from 'vitest';
import { harness, MESSAGE, rejection } from '../support/client-harness.js';

const envelope = { from: 'a@example.test', to: ['b@example.test'], message: MESSAGE };

// A signal aborted after the socket connected but before the session started waiting (here by the
// logger's 'connected' event, which runs in that gap) still cuts the setup short: nothing is written.
describe('a send aborted as its connection comes up', () => {
  it('ends the setup at once: SMTP_ABORTED, no EHLO written, the connection closed', async () => {
    const controller = new AbortController();
    const { server, client } = await harness(
      {},
      {
        security: 'none',
        logger: (event: { type: string }) => {
          if (event.type === 'connected') controller.abort();
        },
      },
    );
    const error = await rejection(client.send({ ...envelope, signal: controller.signal }));
    expect(error).toMatchObject({ code: 'SMTP_ABORTED', outcome: 'not-sent' });
    // Not 'ready': the abort was heard during setup, not when the send was finally handed over.
    expect(error.phase).toBe('greeting');
    await server.waitFor(() => server.connections[0]?.isClosed === true);
    expect(server.connections[0]!.commands).toHaveLength(0);
    expect(client.connected).toBe(false);
  });
});
