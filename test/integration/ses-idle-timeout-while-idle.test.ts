/**
 * SES closes a connection left idle (about 10 s) with `451 4.4.2 Timeout waiting for data from
 * client` (ses-facts.md). Arriving while the client is idle, that reply is no stray: it is read
 * through the provider's table like any refusal — SERVICE_UNAVAILABLE with SES's advice — and the
 * next send goes out on a new connection.
 */
import { afterEach, expect, it } from 'vitest';
import { SES_PROFILE } from '../../src/errors/classify.js';
import { ErrorCodes } from '../../src/errors/codes.js';
import { type SesSimulator, startSesSimulator } from '../../src/ses/simulator/simulator.js';
import { createClient, type SmtpClient } from '../../src/transport/client.js';
import type { ClientEvent } from '../../src/transport/client-options.js';

const open: { client: SmtpClient; sim: SesSimulator }[] = [];
afterEach(async () => {
  for (const { client, sim } of open.splice(0)) {
    await client.close();
    await sim.close();
  }
});

const message = (n: number) => ({
  from: 'sender@example.com',
  to: [`success+${n}@simulator.amazonses.com`],
  message: `From: sender@example.com\r\nSubject: ${n}\r\n\r\nbody ${n}\r\n`,
});

it("SES's idle 451 while the client is idle: the connection ends as SERVICE_UNAVAILABLE; the next send is delivered", async () => {
  const sim = await startSesSimulator({ verifiedIdentities: ['example.com'], idleTimeoutMs: 200 });
  const user = sim.users[0]!;
  const events: ClientEvent[] = [];
  const client = createClient({
    host: '127.0.0.1',
    port: sim.starttlsPort,
    security: 'starttls',
    tls: { ca: sim.caPem },
    auth: { user: user.user, pass: user.pass },
    profile: SES_PROFILE,
    idleTimeoutMs: 60_000,
    logger: (event) => events.push(event),
  });
  open.push({ client, sim });
  await client.send(message(1));
  await new Promise((resolve) => setTimeout(resolve, 500));
  const closed = events.filter((e) => e.type === 'closed');
  expect(closed).toHaveLength(1);
  expect(closed[0]).toMatchObject({ error: { code: ErrorCodes.SERVICE_UNAVAILABLE } });
  expect((closed[0] as { error: { message: string } }).error.message).toMatch(/idle|Timeout waiting/i);
  await client.send(message(2));
  expect(sim.messages).toHaveLength(2);
});
