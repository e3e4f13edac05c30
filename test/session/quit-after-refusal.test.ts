/**
 * RFC 5321 §4.1.1.10: "The sender MUST NOT intentionally close the transmission channel until it
 * sends a QUIT command … (even if there was an error response to a previous command)"; §3.1: a
 * server that greets with 554 "MUST still wait for the client to send a QUIT". When a refusal ends
 * the session while the dialogue is still in step (a refused greeting, EHLO, HELO, STARTTLS, AUTH or
 * RSET; STARTTLS or AUTH impossible on what the server offers), QUIT is written before the close,
 * and the close says so (`afterQuit`: the server will close its side after its 221). The caller
 * hears the refusal at once; the 221 is not waited for.
 *
 * Not after a 421 (the server is closing), a reply out of step (unasked, unexpected, malformed), a
 * STARTTLS response injection, a timeout, a lost connection, in the middle of a SASL exchange or of a
 * body: there the connection is closed without a word.
 */
import { describe, expect, test } from 'vitest';
import { ErrorCodes } from '../../src/errors/codes.js';
import type { SessionOptions } from '../../src/session/types.js';
import { flush, Harness } from './harness.js';

const AUTH = { user: 'user', pass: 'secret' } as const;

interface Case {
  readonly name: string;
  readonly options?: Partial<SessionOptions>;
  /** Server lines after connected(), one read per entry. */
  readonly replies: readonly string[];
  readonly code: string;
}

const QUITS: readonly Case[] = [
  {
    name: '554 greeting (RFC 5321 §3.1)',
    replies: ['554 5.3.2 no service'],
    code: ErrorCodes.GREETING_REFUSED,
  },
  { name: '450 greeting', replies: ['450 4.3.2 try later'], code: ErrorCodes.TRANSIENT_FAILURE },
  {
    name: '4xx to EHLO (no HELO fallback for a transient refusal)',
    replies: ['220 mx', '451 4.3.0 busy'],
    code: ErrorCodes.TRANSIENT_FAILURE,
  },
  {
    name: '5xx to EHLO where HELO is not allowed (STARTTLS required)',
    options: { security: 'starttls' },
    replies: ['220 mx', '502 5.5.1 no EHLO'],
    code: ErrorCodes.EHLO_REFUSED,
  },
  {
    name: '5xx to HELO',
    replies: ['220 mx', '502 5.5.1 no EHLO', '501 5.5.4 no HELO either'],
    code: ErrorCodes.EHLO_REFUSED,
  },
  {
    name: 'STARTTLS required but not offered',
    options: { security: 'starttls' },
    replies: ['220 mx', '250-mx\n250 8BITMIME'],
    code: ErrorCodes.TLS_REQUIRED,
  },
  {
    name: 'STARTTLS refused where it is required',
    options: { security: 'starttls' },
    replies: ['220 mx', '250-mx\n250 STARTTLS', '454 4.7.0 TLS not available'],
    code: ErrorCodes.TLS_REQUIRED,
  },
  {
    name: '535 to AUTH',
    options: { security: 'implicit', auth: AUTH },
    replies: ['220 mx', '250-mx\n250 AUTH PLAIN', '535 5.7.8 Authentication credentials invalid'],
    code: ErrorCodes.AUTH_FAILED,
  },
  {
    name: 'no usable AUTH mechanism',
    options: { security: 'implicit', auth: AUTH },
    replies: ['220 mx', '250-mx\n250 AUTH GSSAPI'],
    code: ErrorCodes.AUTH_MECHANISM_UNSUPPORTED,
  },
  {
    name: 'AUTH configured on a plaintext connection',
    options: { security: 'none', auth: AUTH },
    replies: ['220 mx', '250-mx\n250 AUTH PLAIN'],
    code: ErrorCodes.AUTH_WITHOUT_TLS,
  },
];

function run({ options, replies }: Case): Harness {
  const h = new Harness(options);
  h.session.connected();
  for (const reply of replies) h.server(reply);
  return h;
}

describe('a refusal that ends the session in step: QUIT, then the close', () => {
  test.each(QUITS)('$name', async (c) => {
    const h = run(c);
    await flush();
    expect(h.session.state).toBe('failed');
    expect(h.session.error?.code).toBe(c.code);
    expect(h.lastWrite).toBe('QUIT\r\n');
    const types = h.effects.map((effect) => effect.type);
    // QUIT is the last write, right before the close; nothing after the close.
    expect(types.lastIndexOf('write')).toBe(types.indexOf('close') - 1);
    expect(h.effects[types.indexOf('close')]).toEqual({ type: 'close', afterQuit: true });
    expect(h.effectsAfterClose).toEqual([]);
    // The 221 (or anything) afterwards changes nothing.
    h.server('221 2.0.0 bye');
    expect(h.session.error?.code).toBe(c.code);
  });

  test('a refused RSET: QUIT before the close, the send settles with its own refusal', async () => {
    const h = new Harness().ready();
    const sent = h.send();
    h.server('550 5.1.0 no such sender\n554 5.5.1 no valid recipients\n554 5.5.1 no valid recipients');
    expect(h.lastWrite).toBe('RSET\r\n');
    h.server('500 5.5.1 no RSET today');
    await flush();
    expect(h.session.state).toBe('failed');
    expect(h.lastWrite).toBe('QUIT\r\n');
    expect(h.effects.find((effect) => effect.type === 'close')).toEqual({ type: 'close', afterQuit: true });
    expect(sent.result?.ok).toBe(false);
    expect(sent.result?.ok === false && sent.result.error.outcome).toBe('rejected');
  });

  test('the transcript logs the QUIT as a command', async () => {
    const h = run(QUITS[0]!);
    await flush();
    expect(h.transcript.at(-1)).toMatchObject({ direction: 'client', text: 'QUIT' });
  });
});

describe('no QUIT where the dialogue is out of step or the server is leaving', () => {
  const SILENT: readonly Case[] = [
    { name: '421 greeting', replies: ['421 4.3.2 closing'], code: ErrorCodes.SERVICE_UNAVAILABLE },
    {
      name: '421 to AUTH',
      options: { security: 'implicit', auth: AUTH },
      replies: ['220 mx', '250-mx\n250 AUTH PLAIN', '421 4.7.0 closing'],
      code: ErrorCodes.SERVICE_UNAVAILABLE,
    },
    { name: 'a 3xx greeting', replies: ['354 what'], code: ErrorCodes.REPLY_UNEXPECTED },
    {
      name: 'a refusal with bytes behind it',
      replies: ['554 no\n220 yes'],
      code: ErrorCodes.REPLY_UNEXPECTED,
    },
    { name: 'a malformed reply', replies: ['220 mx', 'hello?'], code: ErrorCodes.REPLY_MALFORMED },
    {
      name: 'STARTTLS response injection',
      options: { security: 'starttls' },
      replies: ['220 mx', '250-mx\n250 STARTTLS', '220 go ahead\n250 injected'],
      code: ErrorCodes.STARTTLS_INJECTION,
    },
    {
      name: 'an unasked refusal while idle (the server ends the session)',
      replies: ['220 mx', '250 mx', '451 4.4.2 Timeout waiting for data from client'],
      code: ErrorCodes.TRANSIENT_FAILURE,
    },
  ];
  test.each(SILENT)('$name', async (c) => {
    const h = run(c);
    await flush();
    expect(h.session.state).toBe('failed');
    expect(h.session.error?.code).toBe(c.code);
    expect(h.writes).not.toContain('QUIT\r\n');
    expect(h.effects.find((effect) => effect.type === 'close')).toEqual({ type: 'close' });
  });

  test('a timeout', async () => {
    const h = new Harness();
    h.session.connected();
    h.clock.increment(10 * 60_000);
    await flush();
    expect(h.session.error?.code).toBe(ErrorCodes.TIMEOUT);
    expect(h.writes).toEqual([]);
  });
});
