import { describe, expect, it } from 'vitest';
import { harness, rejection } from '../support/client-harness.js';

// maxMessageSize is a ceiling the server's SIZE can only lower (messageLimit takes the minimum), so a
// string or Uint8Array over it can never go: like SES's 50 recipients, it is refused in send(), before
// a connection is made (a connection failure would otherwise be reported, and retried, in its place).
describe('a string message over maxMessageSize', () => {
  it('is refused with SMTP_MESSAGE_TOO_LARGE before a connection is attempted', async () => {
    const events: string[] = [];
    const { server, client } = await harness(
      {},
      { security: 'none', maxMessageSize: 100, logger: (event: { type: string }) => events.push(event.type) },
    );
    const message = `Subject: big\r\n\r\n${'x'.repeat(200)}\r\n`;
    const error = await rejection(client.send({ from: 'a@example.test', to: ['b@example.test'], message }));
    expect(error).toMatchObject({ code: 'SMTP_MESSAGE_TOO_LARGE', outcome: 'not-sent' });
    expect(events).not.toContain('connecting');
    expect(server.connections).toHaveLength(0);
  });
});
