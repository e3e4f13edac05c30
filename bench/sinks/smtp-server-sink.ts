/**
 * An smtp-server (nodemailer's server library) sink for the benchmark, run as its own process:
 * plaintext on 127.0.0.1, no auth, no reverse DNS, message bytes discarded as they arrive.
 * Usage: node --import tsx bench/sinks/smtp-server-sink.ts [--no-pipelining]; prints `READY <port>`.
 */
import { SMTPServer } from 'smtp-server';

const hidePipelining = process.argv.includes('--no-pipelining');

const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['AUTH', 'STARTTLS'],
  // smtp-server resolves the peer's name before greeting unless told not to (up to 1.5 s).
  disableReverseLookup: true,
  hidePIPELINING: hidePipelining,
  // Its 100 ms "early talker" pause before each greeting is hard-coded (smtp-connection.js init());
  // clients connect before timing starts, so it only delays warm-up.
  logger: false,
  size: 100 * 1024 * 1024,
  onData(stream, _session, callback) {
    stream.on('data', () => {});
    stream.on('end', () => callback());
  },
});

server.on('error', (error) => {
  process.stderr.write(`smtp-server sink: ${error.message}\n`);
});

server.listen(0, '127.0.0.1', () => {
  const address = server.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  process.stdout.write(`READY ${address.port}\n`);
});

// Exit with the parent: the harness holds our stdin open.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
