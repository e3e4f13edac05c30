/**
 * The Session facade (xstate machine + reply parser + command encoder) alone, no socket: CPU per
 * 1 KB message for a pipelined MAIL/RCPT/DATA + body + dot exchange (RFC 2920), with xstate's real
 * timers, with an inert clock (what the per-state `after` timeouts cost), and with every effect's
 * bytes written to a real loopback socket (what the syscalls do to the rest).
 * Usage: node --import tsx bench/session.bench.ts [messages]
 */
import * as net from 'node:net';
import { Session } from '../src/session/session.js';
import type { Clock, SessionEffect } from '../src/session/types.js';
import { CLIENT_NAME, FROM, TO } from './message-fixture.js';

const utf8 = new TextEncoder();
const GREETING = utf8.encode('220 sink ESMTP\r\n');
const EHLO = utf8.encode(
  '250-sink\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-SIZE 104857600\r\n250 ENHANCEDSTATUSCODES\r\n',
);
const ENVELOPE_REPLIES = utf8.encode(
  '250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n',
);
const DOT_REPLY = utf8.encode('250 2.0.0 Ok: queued as 12345\r\n');
const BODY = { kind: 'encoded', bytes: new Uint8Array(1024), has8bit: false };

const INERT_CLOCK: Clock = { setTimeout: () => 0, clearTimeout: () => {} };

/** A loopback socket whose peer discards everything: the effects' bytes really hit the kernel. */
async function discardSocket(): Promise<net.Socket> {
  const server = net.createServer((peer) => peer.resume());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  server.unref();
  const socket = net.connect({ host: '127.0.0.1', port });
  socket.setNoDelay(true);
  await new Promise((resolve) => socket.once('connect', resolve));
  return socket;
}

async function run(
  messages: number,
  clock: Clock | undefined,
  socket?: net.Socket,
): Promise<{ usPerMsg: number; cpuUsPerMsg: number }> {
  let writes = 0;
  let session: Session;
  const onEffect = (effect: SessionEffect): void => {
    // Replies arrive as the transport would deliver them: later, one chunk per flight.
    if (effect.type === 'write') {
      writes++;
      socket?.write(effect.bytes);
      queueMicrotask(() => session.receive(writes === 1 ? EHLO : ENVELOPE_REPLIES));
    } else if (effect.type === 'writeBody') {
      socket?.write(BODY.bytes);
      queueMicrotask(() => {
        session.bodyFinished();
        session.receive(DOT_REPLY);
      });
    }
  };
  session = new Session({ clientName: CLIENT_NAME, security: 'none', ...(clock ? { clock } : {}) }, onEffect);
  session.connected();
  session.receive(GREETING);
  await session.whenReady;
  const request = { from: FROM, to: [TO], size: 1024, eightBit: false, body: BODY };
  const cpu = process.cpuUsage();
  const start = performance.now();
  for (let i = 0; i < messages; i++) await session.send(request);
  const wall = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { usPerMsg: (wall * 1000) / messages, cpuUsPerMsg: (used.user + used.system) / messages };
}

async function main(): Promise<void> {
  const messages = Number(process.argv[2] ?? 20000);
  await run(2000, undefined); // warm-up (JIT)
  await run(2000, INERT_CLOCK);
  const socket = await discardSocket();
  for (let round = 0; round < 3; round++) {
    for (const [name, clock, out] of [
      ['real timers', undefined, undefined],
      ['inert clock', INERT_CLOCK, undefined],
      ['+ socket', undefined, socket],
    ] as const) {
      const r = await run(messages, clock, out);
      console.log(
        `${name.padEnd(12)} ${r.usPerMsg.toFixed(1).padStart(6)} µs/msg wall  ${r.cpuUsPerMsg.toFixed(1).padStart(6)} µs/msg CPU  (${(1e6 / r.usPerMsg).toFixed(0)} msg/s ceiling on one core)`,
      );
    }
  }
}

main().then(() => process.exit(0));
