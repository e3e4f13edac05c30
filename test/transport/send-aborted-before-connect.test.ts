import { describe, expect, it } from 'vitest';
import { harness, MESSAGE, rejection } from '../support/client-harness.js';

const envelope = { from: 'a@example.test', to: ['b@example.test'], message: MESSAGE };

// A send aborted in the same tick it was made (its connection not yet dialled) leaves before any
// connection is attempted: SMTP_ABORTED, not-sent, in phase 'ready', and no 'connecting' at all.
describe('a send aborted right after send()', () => {
  it('is rejected before a connection is attempted', async () => {
    const events: string[] = [];
    const { server, client } = await harness(
      {},
      { security: 'none', logger: (event: { type: string }) => events.push(event.type) },
    );
    const controller = new AbortController();
    const sent = client.send({ ...envelope, signal: controller.signal });
    controller.abort();
    const error = await rejection(sent);
    expect(error).toMatchObject({ code: 'SMTP_ABORTED', outcome: 'not-sent', phase: 'ready' });
    expect(events).not.toContain('connecting');
    expect(server.connections).toHaveLength(0);
  });
});
