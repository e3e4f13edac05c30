/**
 * smtp-machine as a BenchClient: createClient (one connection, its own send queue) for 1 connection;
 * createPool when src/delivery/pool.ts exists, otherwise N clients round-robin (reported as such).
 */
import { existsSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { createClient, type SmtpClient } from '../src/transport/client.js';
import { type BenchClient, type ClientSetup, windowed } from './bench-client.js';
import { CLIENT_NAME, FROM, TO } from './message-fixture.js';

/** How the pool case was driven (printed with the results so the table says what was measured). */
export let poolMode: 'createClient' | 'createPool' | 'clients-round-robin' = 'createClient';

function clientOptions(setup: ClientSetup) {
  return {
    host: setup.host,
    port: setup.port,
    security: 'none' as const,
    clientName: CLIENT_NAME,
    maxMessageSize: setup.maxMessageSize,
  };
}

interface Sender {
  send(options: { from: string; to: string; message: Buffer | AsyncIterable<Uint8Array> }): Promise<unknown>;
  close(): Promise<void>;
}

async function openPool(setup: ClientSetup): Promise<Sender | undefined> {
  const path = new URL('../src/delivery/pool.ts', import.meta.url);
  if (!existsSync(path)) return undefined;
  // By URL, so this file type-checks before the pool exists.
  const module = (await import(path.href)) as {
    createPool?: (options: Record<string, unknown>) => Sender;
  };
  if (typeof module.createPool !== 'function') return undefined;
  poolMode = 'createPool';
  // Like nodemailer's `maxMessages: Infinity`: no recycling after 100 messages (the pool's default,
  // meant for SES's load balancer) inside a timed run; the age limit (5 min) is never reached here.
  return module.createPool({
    ...clientOptions(setup),
    maxConnections: setup.connections,
    maxMessagesPerConnection: Number.MAX_SAFE_INTEGER,
  });
}

function roundRobin(clients: SmtpClient[]): Sender {
  let next = 0;
  return {
    send(options) {
      const client = clients[next++ % clients.length] as SmtpClient;
      return client.send(options);
    },
    async close() {
      await Promise.all(clients.map((client) => client.close()));
    },
  };
}

export async function createSmtpMachineClient(setup: ClientSetup): Promise<BenchClient> {
  let sender: Sender | undefined;
  if (setup.connections === 1) sender = createClient(clientOptions(setup));
  else sender = await openPool(setup);
  if (!sender) {
    poolMode = 'clients-round-robin';
    sender = roundRobin(Array.from({ length: setup.connections }, () => createClient(clientOptions(setup))));
  }
  const active = sender;
  const window = Math.max(8, 8 * setup.connections);
  const sendOne = (message: () => Buffer | Readable) => () =>
    active.send({ from: FROM, to: TO, message: message() });
  return {
    warm: (count) =>
      windowed(
        count,
        window,
        sendOne(() => setup.warmBody),
      ),
    run: (count) => windowed(count, window, sendOne(setup.body)),
    close: () => active.close(),
  };
}
