/**
 * A message's status and exit code in the CLI's results, from the pool's outcome: a 5xx is rejected
 * (its exit code says why), a local size refusal is rejected (69), a message delivered to some
 * recipients exits 75 when the others were left over (not-sent), never 0 and never 69.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DelivererOptions,
  type DeliveryResult,
  deliverAll,
  type Outgoing,
} from '../../src/cli/deliverer.js';
import { GENERIC_PROFILE } from '../../src/errors/classify.js';
import { type ScriptedServer, startScriptedServer } from '../support/scripted-server.js';
import { tlsFixtures } from '../support/tls-fixtures.js';

let server: ScriptedServer;
let ca: string;

beforeAll(async () => {
  const fixtures = await tlsFixtures();
  ca = fixtures.ca.cert;
  server = await startScriptedServer({
    tls: fixtures.server,
    credentials: { user: 'u', pass: 'right' },
    overrides: {
      RCPT: (line) => (/later@/i.test(line) ? '450 4.2.1 Mailbox busy, try later' : undefined),
    },
  });
});
afterAll(async () => {
  await server.close();
});

const message = (to: string[], body = 'Subject: x\r\n\r\nhi\r\n'): Outgoing => ({
  id: 1,
  from: 'a@example.com',
  to,
  raw: new TextEncoder().encode(body),
});

async function deliverOne(
  outgoing: Outgoing,
  pass: string,
  maxMessageSize?: number,
): Promise<DeliveryResult> {
  const options: DelivererOptions = {
    client: {
      host: server.host,
      port: server.port,
      security: 'starttls',
      tls: { ca },
      auth: { user: 'u', pass },
      ...(maxMessageSize === undefined ? {} : { maxMessageSize }),
    },
    profile: GENERIC_PROFILE,
    retry: false,
  };
  const results: DeliveryResult[] = [];
  await deliverAll([outgoing], options, (result) => results.push(result));
  expect(results).toHaveLength(1);
  return results[0] as DeliveryResult;
}

describe('deliverAll: status and exit code of one message', () => {
  it('some recipients left over (4xx, retries off) after the others got it: delivered, exit 75', async () => {
    const result = await deliverOne(message(['b@example.org', 'later@example.org']), 'right');
    expect(result).toMatchObject({
      status: 'delivered',
      exitCode: 75,
      accepted: ['b@example.org'],
      rejectedRecipients: [{ recipient: 'later@example.org', outcome: 'not-sent', code: 450 }],
    });
  });

  it('refused credentials (535, a 5xx): rejected, exit 78 (configuration)', async () => {
    const result = await deliverOne(message(['b@example.org']), 'wrong');
    expect(result).toMatchObject({ status: 'rejected', exitCode: 78, error: { code: 'SMTP_AUTH_FAILED' } });
  });

  it('a message over the size limit, refused before upload: rejected, exit 69', async () => {
    const result = await deliverOne(
      message(['b@example.org'], `Subject: x\r\n\r\n${'x'.repeat(200)}\r\n`),
      'right',
      100,
    );
    expect(result).toMatchObject({
      status: 'rejected',
      exitCode: 69,
      error: { code: 'SMTP_MESSAGE_TOO_LARGE' },
    });
  });
});
