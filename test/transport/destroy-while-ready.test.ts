import { describe, expect, it } from 'vitest';
import type { SmtpClient } from '../../src/transport/client.js';
import { harness, MESSAGE, rejection } from '../support/client-harness.js';

const envelope = { from: 'a@example.test', to: ['b@example.test'], message: MESSAGE };

// The logger hears the EHLO reply in the step that makes the session ready, before the connection
// is handed back to the client: a destroy() there comes too late to abort the setup, yet the send
// waiting for this connection must not go out on it.
describe('destroy() from the logger as the connection becomes ready', () => {
  it('rejects the send CLIENT_CLOSED, not-sent, writes no MAIL, and closes the connection', async () => {
    let client: SmtpClient | undefined;
    const made = await harness(
      {},
      {
        security: 'none',
        logger: (event) => {
          if (event.type === 'transcript' && event.direction === 'server' && event.text.startsWith('250-'))
            client?.destroy();
        },
      },
    );
    client = made.client;
    const error = await rejection(client.send(envelope));
    expect(error).toMatchObject({ code: 'SMTP_CLIENT_CLOSED', outcome: 'not-sent', phase: 'closed' });
    await made.server.waitFor(() => made.server.connections[0]?.isClosed === true);
    expect(made.server.connections[0]!.commands.map((c) => c.verb)).toEqual(['EHLO']);
    expect(client.connected).toBe(false);
  });
});
