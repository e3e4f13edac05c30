/**
 * threats.md §6 "a close in the middle of a reply is reported with whatever was received": the
 * partial reply (here the start of the 250 to the final dot, which says the message was queued)
 * reaches the caller's error, escaped — but never while authenticating (servers echo credentials).
 */
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { harness, MESSAGE, rejection } from '../support/client-harness.js';
import type { ScriptedOverride } from '../support/scripted-server.js';

const envelope = { from: 'a@example.test', to: ['b@example.test'], message: MESSAGE };
const partial =
  (text: string): ScriptedOverride =>
  (_line, connection) => {
    connection.write(text);
    connection.close();
    return null;
  };

describe('threats §6: a close mid-reply keeps what was received', () => {
  for (const [verb, text, seen] of [
    ['DOT', '250 2.0.0 Ok queued as 4F2A9', 'queued as 4F2A9'],
    ['DOT', '250-2.0.0 Ok queued as 4F2A9\r\n250-more', 'queued as 4F2A9'],
    ['MAIL', '452-4.3.1 Insufficient system storage\r\n452 4.3', 'Insufficient system storage'],
  ] as const) {
    it(`${verb}: ${JSON.stringify(text)}`, async () => {
      const { client } = await harness({ overrides: { [verb]: partial(text) } }, { security: 'none' });
      const error = await rejection(client.send(envelope));
      expect(error.code).toBe('SMTP_CONNECTION_CLOSED');
      expect(inspect(error, { depth: 10 })).toContain(seen);
    });
  }

  it('AUTH: a cut reply is not quoted (it may echo the credentials)', async () => {
    const { client } = await harness(
      { overrides: { AUTH: partial('535-5.7.8 Authentication failed for secret-user\r\n535 5.7') } },
      { auth: { user: 'secret-user', pass: 'pw' } },
    );
    const error = await rejection(client.send(envelope));
    expect(error.code).toBe('SMTP_CONNECTION_CLOSED');
    expect(inspect(error, { depth: 10 })).not.toContain('secret-user');
  });

  it('control characters in the cut reply are escaped', async () => {
    const { client } = await harness(
      { overrides: { DOT: partial('250 2.0.0 Ok\x1b[2K queued') } },
      { security: 'none' },
    );
    const error = await rejection(client.send(envelope));
    expect(error.message).toContain('250 2.0.0 Ok\\x1b[2K queued');
    expect(error.message).not.toContain('\x1b');
  });
});
