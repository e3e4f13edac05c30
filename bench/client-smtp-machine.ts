/**
 * smtp-machine as a BenchClient: createClient (one connection, its own send queue) for 1 connection,
 * createPool for more. Loaded from the built package (dist/, what `npm i smtp-machine` runs; `npm run
 * bench` builds it first), not from src/ through tsx, whose esbuild keepNames adds a `__name()` call
 * per closure created (no difference measured in steady state: 73–77 µs/msg from dist, 71–75 from
 * src, three alternations). Without a dist/ it falls back to src/ and says so in the results (`note`).
 */
import { existsSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { type BenchClient, type ClientSetup, windowed } from './bench-client.js';
import { CLIENT_NAME, COMPOSE_FIELDS, FROM, TO } from './message-fixture.js';

type Package = typeof import('../src/index.js');

/** `SMTP_MACHINE_DIST=/path/to/dist` loads another build (bench/ab.ts compares two that way). */
const DIST = process.env.SMTP_MACHINE_DIST
  ? pathToFileURL(`${process.env.SMTP_MACHINE_DIST}/index.js`)
  : new URL('../dist/index.js', import.meta.url);

/** What was measured (printed with the results so the table says so). */
export let note = '';

async function load(): Promise<Package> {
  if (existsSync(DIST)) return (await import(DIST.href)) as Package;
  note = 'src via tsx: run `npm run build` first';
  return import('../src/index.js');
}

interface Sender {
  send(options: {
    from: string;
    to: string | readonly string[];
    message: Buffer | Uint8Array | Readable;
  }): Promise<unknown>;
  close(): Promise<void>;
}

function clientOptions(setup: ClientSetup) {
  return {
    host: setup.host,
    port: setup.port,
    security: 'none' as const,
    clientName: CLIENT_NAME,
    maxMessageSize: setup.maxMessageSize,
  };
}

async function open(setup: ClientSetup, pkg: Package): Promise<Sender> {
  const { createClient, createPool } = pkg;
  if (setup.connections === 1) return createClient(clientOptions(setup));
  note = note ? `createPool, ${note}` : 'createPool';
  // Like nodemailer's `maxMessages: Infinity`: no recycling after 100 messages (the pool's default,
  // meant for SES's load balancer) inside a timed run; the age limit (5 min) is never reached here.
  return createPool({
    ...clientOptions(setup),
    maxConnections: setup.connections,
    maxMessagesPerConnection: Number.MAX_SAFE_INTEGER,
  });
}

export async function createSmtpMachineClient(setup: ClientSetup): Promise<BenchClient> {
  const pkg = await load();
  const sender = await open(setup, pkg);
  const window = Math.max(8, 8 * setup.connections);
  const sendOne = (message: () => Buffer | Readable) => () =>
    sender.send({ from: FROM, to: TO, message: message() });
  // Composed: the package's own composer builds every message (Date, Message-ID, MIME headers).
  const { from, to, subject, text } = COMPOSE_FIELDS;
  const composeOne = () => {
    const { envelope, raw } = pkg.composeMessage({ from, to: [to], subject, text });
    return sender.send({ from: envelope.from, to: envelope.to, message: raw });
  };
  return {
    warm: (count) => windowed(count, window, setup.composed ? composeOne : sendOne(() => setup.warmBody)),
    run: (count) => windowed(count, window, setup.composed ? composeOne : sendOne(setup.body)),
    close: () => sender.close(),
  };
}
