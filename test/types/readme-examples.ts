// Generated from README.md by scripts/generate-state-chart.ts. Do not edit.
import { SES_PROFILE, Session, composeMessage, createClient, createPool, deriveSesSmtpPassword, encodeData, isSmtpError, type SessionEffect } from '../../src/index.js';
import { connect } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { startSesSimulator } from '../../src/ses/simulator/simulator.js';

declare const accessKeyId: string;
declare const secretAccessKey: string;
declare const from: string;
declare const rcpt: string;

export async function readmeExample1(): Promise<void> {
  const client = createClient({
    host: 'email-smtp.eu-west-1.amazonaws.com',
    port: 587, // STARTTLS, required; 465/2465 default to implicit TLS
    auth: { user: process.env.SMTP_USER!, pass: process.env.SMTP_PASS! },
  });

  try {
    const result = await client.send({
      from: 'sender@example.com',
      to: ['rcpt@example.org'],
      message: 'From: sender@example.com\r\nTo: rcpt@example.org\r\nSubject: Hi\r\n\r\nHello.\r\n',
    });
    console.log(result.messageId, result.accepted, result.rejected);
  } catch (error) {
    if (isSmtpError(error)) console.error(error.code, error.outcome, error.reply?.code);
  } finally {
    await client.close(); // QUIT, then close
  }
}

export async function readmeExample2(): Promise<void> {
  const pool = createPool({
    host: 'email-smtp.us-east-1.amazonaws.com',
    port: 465,
    auth: { user: accessKeyId, pass: deriveSesSmtpPassword(secretAccessKey, 'us-east-1') },
    maxConnections: 5,
    rateLimit: { perSecond: 14 }, // your SES send rate; SES counts recipients
    onEvent: (event) => console.log(event.type),
  });
  const { envelope, raw } = composeMessage({ from, to: [rcpt], subject: 'Hi', text: 'Hello' });
  const result = await pool.send({ ...envelope, message: raw });
  console.log(result.attempts.length, result.messageId);
  await pool.close({ deadlineMs: 30_000 });
}

export async function readmeExample3(): Promise<void> {
  const host = 'mail.example.com';
  // The Session first: it checks its options before anything is dialled.
  const session = new Session({ clientName: 'client.example.com', security: 'starttls' }, onEffect); // DATA: chunking is opt-in
  let socket = connect({ host, port: 587 });
  function listen(current: typeof socket): void {
    current.on('data', (bytes) => session.receive(bytes));
    current.on('error', () => {}); // 'close' follows
    current.on('close', () => session.closed());
  }
  function onEffect(effect: SessionEffect): void {
    if (effect.type === 'write') socket.write(effect.bytes);
    else if (effect.type === 'close') {
      const current = socket; // let go of once what was written is out, or after a second
      const grace = setTimeout(() => current.destroy(), 1_000);
      current.end(() => {
        clearTimeout(grace);
        current.destroy();
      });
    } else if (effect.type === 'writeBody') {
      // What send() was given: here already encoded. Inline: written now; else in blocks (below).
      if (effect.inline) socket.write(effect.body as Uint8Array);
      else void writeBlocks(socket, effect.body as Uint8Array);
    } else if (effect.type === 'upgradeTls') {
      socket.removeAllListeners('data'); // nothing more is read in plaintext
      socket.removeAllListeners('close');
      const secure = connectTls({ socket, servername: host }); // the certificate is verified
      secure.on('error', (error) => socket !== secure && session.tlsFailed(error));
      secure.once('secureConnect', () => {
        socket = secure; // every write from now on goes through TLS
        listen(secure);
        session.tlsEstablished();
      });
    }
  }
  async function writeBlocks(current: typeof socket, body: Uint8Array): Promise<void> {
    for (let at = 0; at < body.length && !current.destroyed; ) {
      let end = Math.min(at + 65_536, body.length);
      if (body.length - end < 5) end = body.length; // the final CRLF.CRLF goes whole with the last block
      const last = end === body.length;
      const room = current.write(body.subarray(at, end));
      at = end;
      if (last) return session.bodyFinished(); // now: a reply read before it would be an early one
      session.bodyProgress(); // the data-block timer restarts for each block taken
      if (!room) await drained(current); // or closed: the loop ends, the session hears it from 'close'
    }
  }
  function drained(current: typeof socket): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        current.off('drain', done).off('close', done);
        resolve();
      };
      current.on('drain', done).on('close', done);
    });
  }
  listen(socket);
  socket.once('connect', () => session.connected());

  const { bytes, has8bit, stuffedOctets } = encodeData(new TextEncoder().encode('Subject: Hi\r\n\r\nHello.\r\n')); // dot-stuffed, terminated
  await session.whenReady;
  const size = bytes.length - stuffedOctets - 3; // RFC 1870: without the stuffing and the ".\r\n"
  const result = await session.send({ from: 'a@example.com', to: ['b@example.org'], size, eightBit: has8bit, body: bytes });
  await session.quit();
}

export async function readmeExample4(): Promise<void> {
  const sim = await startSesSimulator({
    region: 'eu-west-1',
    verifiedIdentities: ['example.com'], // sandbox (the default): senders and recipients must be verified
    maxSendRate: 14, // recipients per second, then 454 Throttling failure
  });
  const { user, pass } = sim.users[0]!; // a generated access key id and its derived SMTP password
  const client = createClient({
    host: sim.host, // '127.0.0.1'
    port: sim.starttlsPort, // or sim.tlsPort with security: 'implicit'
    security: 'starttls',
    tls: { ca: sim.caPem }, // the test CA (sim.caFile holds it for the command's --ca)
    auth: { user, pass },
    profile: SES_PROFILE, // 127.0.0.1 is not an SES host name: ask for SES's reply table
  });
  try {
    await client.send({
      from: 'app@example.com',
      to: ['success@simulator.amazonses.com'],
      message: 'From: app@example.com\r\nTo: success@simulator.amazonses.com\r\nSubject: Hi\r\n\r\nHello.\r\n',
    });
    sim.failNextMessage(); // the next final dot gets 451 Temporary service failure (or pass { code, text })
    console.log(sim.messages.length, sim.stats.accepted, sim.stats.rejected);
  } finally {
    await client.close();
    await sim.close(); // also removes the temp CA file
  }
}
