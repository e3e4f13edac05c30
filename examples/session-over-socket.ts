/**
 * The sans-I/O core driven by hand: one message over one connection, with `node:net` and `node:tls`
 * doing the I/O and the `Session` (the xstate machine behind `createClient`) making every protocol
 * decision — EHLO, STARTTLS (RFC 3207), AUTH (RFC 4954), MAIL/RCPT/DATA (RFC 5321 §3.3), the
 * per-phase timeouts (§4.5.3.2) and QUIT. This is the least a transport must do; `createClient`
 * adds a send queue, streamed bodies, BDAT, flights gathered into one write and an idle timer.
 *
 * The contract, in one place:
 * - facts go in: `connected()`, `receive(bytes)`, `tlsEstablished()` / `tlsFailed(error)`,
 *   `bodyFinished()`, `closed(error?)` (before `connected()`: the dial failed);
 * - effects come out, in order, through the callback: `write` (bytes for the socket), `upgradeTls`
 *   (start the handshake on this socket, reading nothing more in plaintext), `writeBody` (the body
 *   you handed to send(), already encoded here) and `close`;
 * - `send()` resolves with the server's answer or rejects with an `SmtpError` whose `outcome` says
 *   whether the message may have been delivered.
 *
 * Outside this repository, import from 'smtp-machine'. A test runs this file against the SES
 * simulator (test/integration/session-example.test.ts).
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import {
  type Credentials,
  DEFAULT_TIMEOUTS,
  encodeData,
  type SendResult,
  Session,
  type SessionEffect,
  SmtpTimeoutError,
  type Timeouts,
} from '../src/index.js';

export interface OneMessage {
  readonly host: string;
  readonly port: number;
  /** Extra trusted CA certificates (PEM), e.g. a test CA; Node's own list otherwise. */
  readonly ca?: string;
  readonly auth?: Credentials;
  /** Per phase (RFC 5321 §4.5.3.2 defaults); `connect` times the dial here, the rest the session. */
  readonly timeouts?: Partial<Timeouts>;
  readonly from: string;
  readonly to: readonly string[];
  /** The RFC 5322 message (header, blank line, body). */
  readonly message: string;
}

export async function sendOneMessage(input: OneMessage): Promise<SendResult> {
  // Bad input is refused before anything is dialled: the body here (CRLF line endings, dot-stuffing
  // and the terminating ".\r\n", RFC 5321 §4.5.2, once, up front), the options by the Session.
  const { bytes, has8bit, stuffedOctets } = encodeData(new TextEncoder().encode(input.message));
  let socket: net.Socket;
  const session = new Session(
    {
      clientName: 'client.example.com', // your host's name, for EHLO (RFC 5321 §4.1.1.1)
      security: 'starttls', // STARTTLS required: no AUTH, no mail in plaintext
      chunking: false, // this transport writes DATA bodies only (no BDAT chunks)
      ...(input.auth === undefined ? {} : { auth: input.auth }),
      ...(input.timeouts === undefined ? {} : { timeouts: input.timeouts }),
    },
    onEffect,
  );

  function onEffect(effect: SessionEffect): void {
    switch (effect.type) {
      case 'write':
        socket.write(effect.bytes);
        break;
      case 'writeBody':
        // The bytes handed to send() below, already dot-stuffed and terminated by encodeData. An inline
        // body counts as written with the effect; any other goes in slices (writeInSlices).
        if (effect.inline) socket.write(effect.body as Uint8Array);
        else void writeInSlices(socket, effect.body as Uint8Array);
        break;
      case 'upgradeTls':
        upgrade();
        break;
      case 'close': {
        // After the 221 to QUIT the server closes too; after a failure (a 421, a timeout, a refused
        // STARTTLS, a handshake that never ends) it may never do: once what was written is out, or after
        // a second if it cannot get out (a server that reads no more), the socket is let go of (the TLS
        // socket of an unfinished handshake with it).
        const current = socket;
        const grace = setTimeout(() => current.destroy(), 1_000);
        current.end(() => {
          clearTimeout(grace);
          current.destroy();
        });
        break;
      }
    }
  }

  /**
   * A body in slices of 64 KiB, each after the socket has drained the one before (back-pressure),
   * with bodyProgress() for each: the session's data-block timer (RFC 5321 §4.5.3.2.5, 3 minutes)
   * then times each block, not the whole body, which on a slow link may take longer. The last slice
   * holds the whole end of data; bodyFinished() comes right after it is handed to the socket, in the
   * same tick: the session must hear it before any reply to the dot (a reply before it is an early
   * one), and a write callback only runs later. From then on a loss is 'unknown'. A close meanwhile
   * is reported by the socket's 'close' event.
   */
  async function writeInSlices(current: net.Socket, body: Uint8Array): Promise<void> {
    for (let at = 0; at < body.length && !current.destroyed; ) {
      let end = Math.min(at + 64 * 1024, body.length);
      if (body.length - end < 5) end = body.length; // CRLF.CRLF is never split from its last slice
      const last = end === body.length;
      const flushed = current.write(body.subarray(at, end));
      at = end;
      if (last) {
        session.bodyFinished();
        return;
      }
      session.bodyProgress();
      if (!flushed) await drained(current);
    }
  }

  /** Reads go to the session; the socket's end is reported once, with its error if it had one. */
  function listen(current: net.Socket): void {
    let failure: Error | undefined;
    current.on('data', (bytes: Buffer) => session.receive(bytes));
    current.on('error', (error) => {
      failure = error;
    });
    current.on('close', () => session.closed(failure));
  }

  function upgrade(): void {
    const plain = socket;
    // From here on every byte goes to the TLS engine: bytes the server sent behind its 220 are not
    // read as replies (the STARTTLS injection of threats.md).
    plain.removeAllListeners('data');
    plain.removeAllListeners('close');
    plain.removeAllListeners('error');
    plain.on('error', () => {}); // reported through the TLS socket
    const secure = tls.connect({
      socket: plain,
      host: input.host, // the certificate must name it (checked: rejectUnauthorized stays true)
      ...(net.isIP(input.host) ? {} : { servername: input.host }), // SNI takes names only
      minVersion: 'TLSv1.2',
      ...(input.ca === undefined ? {} : { ca: input.ca }),
    });
    let established = false;
    secure.once('secureConnect', () => {
      established = true;
      socket = secure;
      listen(secure);
      session.tlsEstablished();
    });
    secure.on('error', (error) => {
      if (!established) session.tlsFailed(error);
    });
  }

  socket = net.connect({ host: input.host, port: input.port });
  socket.setNoDelay(true);
  listen(socket);
  // Dialling is the transport's to time: the session's timers start with the greeting. A close before
  // connected() is a failed dial (SMTP_CONNECTION_FAILED, its error as cause); the timer's own
  // SmtpError says what createClient says for it.
  const connectMs = input.timeouts?.connect ?? DEFAULT_TIMEOUTS.connect;
  socket.setTimeout(connectMs, () =>
    socket.destroy(
      new SmtpTimeoutError({
        message: `connecting to ${input.host}:${input.port} timed out after ${connectMs} ms`,
        phase: 'connect',
        outcome: 'not-sent',
        retryable: true,
      }),
    ),
  );
  socket.once('connect', () => {
    socket.setTimeout(0);
    session.connected();
  });

  try {
    await session.whenReady; // greeting, EHLO, STARTTLS, EHLO again, AUTH
    return await session.send({
      from: input.from,
      to: input.to,
      size: bytes.length - stuffedOctets - 3, // RFC 1870 §5: without the stuffing and the ".\r\n"
      eightBit: has8bit,
      body: bytes,
    });
  } finally {
    await session.quit(); // QUIT (or nothing, if the session already ended), then the close effect
  }
}

/** The socket has room again, or is gone. */
function drained(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.on('drain', done);
    socket.on('close', done);
  });
}
