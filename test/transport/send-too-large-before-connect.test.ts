/**
 * maxMessageSize is a ceiling the server's SIZE can only lower (messageLimit takes the minimum), so a
 * string or Uint8Array over it can never go: like SES's 50 recipients, it is refused in send(), before
 * a connection is made (a connection failure would otherwise be reported, and retried, in its place).
 */
import { describe, expect, it } from 'vitest';
import { attemptsOf } from '../../src/delivery/attempt-history.js';
import { createPool } from '../../src/delivery/pool.js';
import { ErrorCodes } from '../../src/errors/codes.js';
import { DEFAULT_MAX_MESSAGE_OCTETS } from '../../src/protocol/limits.js';
import { createClient } from '../../src/transport/client.js';
import { harness, rejection } from '../support/client-harness.js';
import { closedPort, failure } from './dial-support.js';

/** A header, a blank line and `lines` body lines of 78 octets + CRLF: 80 × lines + 17 octets. */
const big = (lines: number) => `Subject: big\r\n\r\n${`${'x'.repeat(78)}\r\n`.repeat(lines)}`;

describe('a message of known size over maxMessageSize', () => {
  it('is refused with SMTP_MESSAGE_TOO_LARGE before a connection is attempted', async () => {
    const events: string[] = [];
    const { server, client } = await harness(
      {},
      { security: 'none', maxMessageSize: 100, logger: (event: { type: string }) => events.push(event.type) },
    );
    const error = await rejection(
      client.send({ from: 'a@example.test', to: ['b@example.test'], message: big(200) }),
    );
    expect(error).toMatchObject({ code: 'SMTP_MESSAGE_TOO_LARGE', outcome: 'not-sent', field: 'size' });
    expect(events).not.toContain('connecting');
    expect(server.connections).toHaveLength(0);
  });

  it('the default limit (10 MiB) holds for bytes too, and a message at the limit is not refused early', async () => {
    const port = await closedPort();
    const client = createClient({ host: '127.0.0.1', port, security: 'none', maxMessageSize: 817 });
    const at = new TextEncoder().encode(big(10)); // 817 octets
    // Exactly at the limit: it goes on to connect (and fails to, here).
    expect((await failure(client.send({ from: 'a@x.test', to: ['b@x.test'], message: at }))).code).toBe(
      ErrorCodes.CONNECTION_FAILED,
    );
    await client.close();
    const defaults = createClient({ host: '127.0.0.1', port, security: 'none' });
    const over = new TextEncoder().encode(big(Math.ceil(DEFAULT_MAX_MESSAGE_OCTETS / 80)));
    const error = await failure(defaults.send({ from: 'a@x.test', to: ['b@x.test'], message: over }));
    expect(error).toMatchObject({ code: ErrorCodes.MESSAGE_TOO_LARGE, outcome: 'not-sent' });
    await defaults.close();
  });

  it('a pool settles it at once, not retried, with no connection to an unreachable server', async () => {
    const port = await closedPort();
    const events: string[] = [];
    const pool = createPool({
      host: '127.0.0.1',
      port,
      security: 'none',
      maxMessageSize: 100,
      retry: { delaysMs: [50, 50] },
      onEvent: (event) => events.push(event.type),
    });
    const error = await failure(pool.send({ from: 'a@x.test', to: ['b@x.test'], message: big(3) }));
    expect(error).toMatchObject({ code: ErrorCodes.MESSAGE_TOO_LARGE, outcome: 'not-sent' });
    expect(attemptsOf(error)?.length ?? 0).toBeLessThanOrEqual(1);
    expect(events).not.toContain('retry-scheduled');
    await pool.close();
  });
});
