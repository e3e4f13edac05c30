import { createHmac } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, expect, test } from 'vitest';
import { SES_PROFILE } from '../../src/errors/classify.js';
import { ErrorCodes } from '../../src/errors/codes.js';
import { flush, Harness } from './harness.js';

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const hmacMd5 = (key: Uint8Array, data: Uint8Array) =>
  new Uint8Array(createHmac('md5', key).update(data).digest());
const AUTH = { user: 'AKIAEXAMPLEUSER', pass: 's3cr3t-pass' };

async function endError(h: Harness) {
  if (!h.session.ended) return undefined;
  return h.session.whenReady.then(
    () => undefined,
    (error: unknown) => error as { code: string; phase: string; outcome: string },
  );
}

describe('Session negotiation', () => {
  test('SES transcript (ses-facts.md): STARTTLS, EHLO again, AUTH PLAIN, one message, QUIT', async () => {
    const h = new Harness({ security: 'starttls', auth: AUTH, profile: SES_PROFILE });
    h.connect('220 email-smtp.amazonaws.com ESMTP SimpleEmailService-d-XXXXXXXXX abc');
    h.server('250-email-smtp.amazonaws.com\n250-8BITMIME\n250-STARTTLS\n250-AUTH PLAIN LOGIN\n250 Ok');
    expect(h.lastWrite).toBe('STARTTLS\r\n');
    h.server('220 Ready to start TLS');
    expect(h.effects.at(-1)).toEqual({ type: 'upgradeTls' });
    expect(h.session.phase).toBe('tls');
    h.session.tlsEstablished();
    expect(h.lastWrite).toBe('EHLO client.example\r\n');
    h.server('250-email-smtp.amazonaws.com\n250-8BITMIME\n250-AUTH PLAIN LOGIN\n250 Ok');
    expect(h.lastWrite).toBe(`AUTH PLAIN ${b64(`\0${AUTH.user}\0${AUTH.pass}`)}\r\n`);
    h.server('235 Authentication successful.');
    await h.session.whenReady;
    const sent = h.send({ from: 'sender@example.com', to: ['rcpt@example.org'] });
    expect(h.lastWrite).toBe('MAIL FROM:<sender@example.com> BODY=8BITMIME\r\n');
    h.server('250 Ok');
    expect(h.lastWrite).toBe('RCPT TO:<rcpt@example.org>\r\n');
    h.server('250 Ok');
    expect(h.lastWrite).toBe('DATA\r\n');
    h.server('354 End data with <CR><LF>.<CR><LF>');
    expect(h.effects.at(-1)).toEqual({
      type: 'writeBody',
      inline: false,
      body: 'BODY',
      maxSize: 10_485_760,
      allow8bit: true,
      transfer: 'data',
    });
    h.session.bodyProgress();
    h.session.bodyFinished();
    h.server('250 Ok 0101019dec617b98-3c1b5e1e-1f1c-4a5e-9d3b-9c0e2a6b7f00-000000');
    await flush();
    expect(sent.result).toMatchObject({
      ok: true,
      value: {
        accepted: ['rcpt@example.org'],
        rejected: [],
        messageId: '0101019dec617b98-3c1b5e1e-1f1c-4a5e-9d3b-9c0e2a6b7f00-000000',
      },
    });
    const quit = h.session.quit();
    expect(h.lastWrite).toBe('QUIT\r\n');
    h.server('221 Bye');
    await quit;
    expect(h.session.ended).toBe(true);
    expect(h.effects.at(-1)).toEqual({ type: 'close' });
    // The transcript hides every AUTH line (user included) and nothing else.
    const client = h.transcript.filter((entry) => entry.direction === 'client');
    expect(client.filter((entry) => entry.redacted)).toEqual([
      { direction: 'client', text: '[redacted]', redacted: true },
    ]);
    expect(JSON.stringify(h.transcript)).not.toContain(b64(`\0${AUTH.user}\0${AUTH.pass}`));
  });

  test('HELO fallback when EHLO is refused (security none, no auth)', async () => {
    const h = new Harness({ security: 'none' }).connect().server('502 5.5.1 command not recognised');
    expect(h.lastWrite).toBe('HELO client.example\r\n');
    h.server('250 mx.example');
    await h.session.whenReady;
    expect(h.session.capabilities.pipelining).toBe(false);
  });

  test.each([
    ['starttls required', { security: 'starttls' as const }],
    ['auth configured', { security: 'none' as const, auth: AUTH }],
    ['EHLO refused with 4xx', { security: 'none' as const }, '421 4.3.2 busy'],
  ])('no HELO fallback: %s', async (_name, options, refusal = '500 5.5.1 what?') => {
    const h = new Harness(options).connect().server(refusal);
    // QUIT before the close after a refusal (RFC 5321 §4.1.1.10); not after a 421 (the server is closing).
    const quit = refusal.startsWith('421') ? [] : ['QUIT\r\n'];
    expect(h.writes).toEqual(['EHLO client.example\r\n', ...quit]);
    expect(h.closed).toBe(true);
    expect(await endError(h)).toMatchObject({ phase: 'ehlo' });
  });

  test('STARTTLS required but not offered → TLS_REQUIRED, no AUTH, closed', async () => {
    const h = new Harness({ security: 'starttls', auth: AUTH }).connect().server('250-mx\n250 AUTH PLAIN');
    expect(await endError(h)).toMatchObject({ code: ErrorCodes.TLS_REQUIRED });
    expect(h.writes).toEqual(['EHLO client.example\r\n', 'QUIT\r\n']);
    expect(h.closed).toBe(true);
  });

  test('opportunistic STARTTLS not offered → plaintext ready', async () => {
    const h = new Harness({ security: 'starttls-opportunistic' }).connect().server('250-mx\n250 8BITMIME');
    await h.session.whenReady;
    expect(h.writes).toEqual(['EHLO client.example\r\n']);
  });

  test.each([
    ['starttls', undefined, '454 4.7.0 TLS not available'],
    ['starttls', undefined, '502 5.5.1 not implemented'],
    ['starttls-opportunistic', AUTH, '454 4.7.0 TLS not available'],
    ['starttls-opportunistic', AUTH, '502 5.5.1 not implemented'],
  ] as const)('%s (auth: %o): %s to STARTTLS fails, never plaintext', async (security, auth, refusal) => {
    const h = new Harness({ security, ...(auth ? { auth } : {}) })
      .connect()
      .server('250-mx\n250-AUTH PLAIN\n250 STARTTLS')
      .server(refusal);
    expect(await endError(h)).toMatchObject({ phase: 'starttls' });
    if (refusal.startsWith('454')) expect(await endError(h)).toMatchObject({ code: ErrorCodes.TLS_REQUIRED });
    expect(h.writes).toEqual(['EHLO client.example\r\n', 'STARTTLS\r\n', 'QUIT\r\n']);
    expect(h.closed).toBe(true);
  });

  test.each(['454 4.7.0 TLS not available', '502 5.5.1 not implemented', '554 5.7.0 no TLS for you'])(
    'starttls-opportunistic without auth: %s to STARTTLS → plaintext, ready with the EHLO capabilities (RFC 3207 §4.1)',
    async (refusal) => {
      const h = new Harness({ security: 'starttls-opportunistic' })
        .connect()
        .server('250-mx\n250-PIPELINING\n250 STARTTLS')
        .server(refusal);
      await h.session.whenReady;
      expect(h.session.state).toBe('ready');
      expect(h.session.capabilities.pipelining).toBe(true);
      expect(h.effects.some((effect) => effect.type === 'upgradeTls')).toBe(false);
      const sent = h.send();
      h.server('250 ok\n250 ok\n354 go');
      h.session.bodyFinished();
      h.server('250 queued');
      await flush();
      expect(sent.result).toMatchObject({ ok: true });
      expect(h.writes.slice(0, 3)).toEqual([
        'EHLO client.example\r\n',
        'STARTTLS\r\n',
        'MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n',
      ]);
    },
  );

  test('starttls-opportunistic: 421 to STARTTLS still ends the session', async () => {
    const h = new Harness({ security: 'starttls-opportunistic' })
      .connect()
      .server('250-mx\n250 STARTTLS')
      .server('421 4.3.2 shutting down');
    expect(await endError(h)).toMatchObject({ phase: 'starttls' });
    expect(h.closed).toBe(true);
  });

  test('starttls-opportunistic: a failed handshake after the 220 fails (the connection state is unknown)', async () => {
    const h = new Harness({ security: 'starttls-opportunistic' })
      .connect()
      .server('250-mx\n250 STARTTLS')
      .server('220 go');
    h.session.tlsFailed(new Error('bad certificate'));
    expect(await endError(h)).toMatchObject({ code: ErrorCodes.TLS_FAILED, phase: 'tls' });
    expect(h.closed).toBe(true);
    expect(h.writes).toEqual(['EHLO client.example\r\n', 'STARTTLS\r\n']);
  });

  test.each([
    ['starttls', '454 4.7.0 TLS not available\r\n250 extra\r\n'],
    ['starttls-opportunistic', '454 4.7.0 TLS not available\r\n250 extra\r\n'],
    ['starttls', '501 5.5.4 no\r\n2'],
  ] as const)(
    'STARTTLS (%s) refused with bytes behind the refusal: REPLY_UNEXPECTED (no TLS to inject into), closed',
    async (security, read) => {
      const h = new Harness({ security }).connect().server('250-mx\n250 STARTTLS');
      h.session.receive(new TextEncoder().encode(read));
      expect(await endError(h)).toMatchObject({ code: ErrorCodes.REPLY_UNEXPECTED, phase: 'starttls' });
      expect(h.closed).toBe(true);
      expect(h.writes).toEqual(['EHLO client.example\r\n', 'STARTTLS\r\n']);
    },
  );

  test('handshake failure → TLS_FAILED, not retryable (spec/error-codes.md)', async () => {
    const h = new Harness({ security: 'starttls' }).connect().server('250-mx\n250 STARTTLS').server('220 go');
    h.session.tlsFailed(new Error('bad certificate'));
    expect(await endError(h)).toMatchObject({ code: ErrorCodes.TLS_FAILED, phase: 'tls', retryable: false });
    expect(h.closed).toBe(true);
  });

  test.each([
    ['extra bytes in the same chunk as the 220', '220 go\r\n250 injected', ''],
    ['a second reply in the same chunk', '220 go\r\n250 injected\r\n', ''],
    ['bytes after the 220, before the handshake', '220 go\r\n', '250 injected\r\n'],
  ])('STARTTLS injection: %s → STARTTLS_INJECTION, no upgrade', async (_name, first, later) => {
    const h = new Harness({ security: 'starttls' }).connect().server('250-mx\n250 STARTTLS');
    h.session.receive(new TextEncoder().encode(first));
    if (later) h.session.receive(new TextEncoder().encode(later));
    expect(await endError(h)).toMatchObject({ code: ErrorCodes.STARTTLS_INJECTION });
    expect(h.closed).toBe(true);
    if (!later) expect(h.effects.some((effect) => effect.type === 'upgradeTls')).toBe(false);
    h.session.tlsEstablished();
    expect(h.writes).toEqual(['EHLO client.example\r\n', 'STARTTLS\r\n']);
  });

  test('capabilities learnt before TLS are forgotten: PIPELINING before, not after → lock-step', async () => {
    const h = new Harness({ security: 'starttls' }).connect();
    h.server('250-mx\n250-PIPELINING\n250-SIZE 5\n250 STARTTLS').server('220 go');
    h.session.tlsEstablished();
    expect(h.session.capabilities.pipelining).toBe(false);
    h.server('250-mx\n250 8BITMIME');
    await h.session.whenReady;
    expect(h.session.capabilities.size).toBeUndefined();
    h.send({ size: 100 });
    expect(h.lastWrite).toBe('MAIL FROM:<a@example.com> BODY=8BITMIME\r\n');
  });

  test('AUTH without TLS → AUTH_WITHOUT_TLS before any AUTH byte', async () => {
    const h = new Harness({ security: 'none', auth: AUTH }).connect().server('250-mx\n250 AUTH PLAIN');
    expect(await endError(h)).toMatchObject({ code: ErrorCodes.AUTH_WITHOUT_TLS });
    expect(h.writes).toEqual(['EHLO client.example\r\n', 'QUIT\r\n']);
  });

  test('dangerouslyAllowAuthWithoutTls lets AUTH go in plaintext', async () => {
    const h = new Harness({ security: 'none', auth: AUTH, dangerouslyAllowAuthWithoutTls: true });
    h.connect().server('250-mx\n250 AUTH LOGIN');
    expect(h.lastWrite).toBe('AUTH LOGIN\r\n');
  });

  test('no usable mechanism → AUTH_MECHANISM_UNSUPPORTED', async () => {
    const h = new Harness({ security: 'implicit', auth: AUTH })
      .connect()
      .server('250-mx\n250 AUTH GSSAPI NTLM');
    expect(await endError(h)).toMatchObject({ code: ErrorCodes.AUTH_MECHANISM_UNSUPPORTED });
  });

  test('AUTH LOGIN exchange', async () => {
    const h = new Harness({ security: 'implicit', auth: { ...AUTH, method: 'LOGIN' } });
    h.connect().server('250-mx\n250 AUTH PLAIN LOGIN');
    expect(h.lastWrite).toBe('AUTH LOGIN\r\n');
    h.server('334 VXNlcm5hbWU6');
    expect(h.lastWrite).toBe(`${b64(AUTH.user)}\r\n`);
    h.server('334 UGFzc3dvcmQ6');
    expect(h.lastWrite).toBe(`${b64(AUTH.pass)}\r\n`);
    h.server('235 ok');
    await h.session.whenReady;
    expect(h.transcript.filter((entry) => entry.redacted)).toHaveLength(3);
  });

  test('AUTH XOAUTH2 exchange, and the empty answer to its error challenge', async () => {
    const h = new Harness({
      security: 'implicit',
      auth: { user: 'u@example.com', pass: 'ya29.token', method: 'XOAUTH2' },
    });
    h.connect().server('250-mx\n250 AUTH PLAIN XOAUTH2');
    expect(h.lastWrite).toBe(
      `AUTH XOAUTH2 ${b64('user=u@example.com\x01auth=Bearer ya29.token\x01\x01')}\r\n`,
    );
    h.server(`334 ${b64('{"status":"401"}')}`);
    expect(h.lastWrite).toBe('\r\n');
    h.server('535 5.7.8 bad token');
    expect(await endError(h)).toMatchObject({ code: ErrorCodes.AUTH_FAILED, phase: 'auth' });
  });

  test('AUTH CRAM-MD5 (RFC 2195 §2 example) with an injected HMAC, chosen as the strongest', async () => {
    const h = new Harness({ security: 'implicit', auth: { user: 'tim', pass: 'tanstaaftanstaaf' }, hmacMd5 });
    h.connect().server('250-mx\n250 AUTH LOGIN PLAIN CRAM-MD5');
    expect(h.lastWrite).toBe('AUTH CRAM-MD5\r\n');
    h.server('334 PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+');
    expect(h.lastWrite).toBe('dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw\r\n');
    h.server('235 ok');
    await h.session.whenReady;
  });

  test('PLAIN preferred over LOGIN; CRAM-MD5 never without an HMAC', () => {
    const h = new Harness({ security: 'implicit', auth: AUTH })
      .connect()
      .server('250-mx\n250 AUTH CRAM-MD5 LOGIN PLAIN');
    expect(h.transcript.at(-1)).toEqual({ direction: 'client', text: '[redacted]', redacted: true });
    expect(h.lastWrite?.startsWith('AUTH PLAIN ')).toBe(true);
  });

  test('535 → AUTH_FAILED; the error and its JSON hold no secret', async () => {
    const h = new Harness({ security: 'implicit', auth: AUTH }).connect().server('250-mx\n250 AUTH PLAIN');
    h.server(`535 Authentication Credentials Invalid for ${AUTH.user}`);
    const error = await endError(h);
    expect(error).toMatchObject({ code: ErrorCodes.AUTH_FAILED, outcome: 'rejected' });
    const text = `${String((error as unknown as Error).message)} ${inspect(h.session)} ${JSON.stringify(h.session)}`;
    expect(text).not.toContain(AUTH.pass);
    expect(text).not.toContain(AUTH.user);
  });

  test('AUTH challenge loop is bounded → AUTH_CHALLENGE_LIMIT', async () => {
    const h = new Harness({ security: 'implicit', auth: { ...AUTH, method: 'LOGIN' } });
    h.connect().server('250-mx\n250 AUTH LOGIN');
    for (let i = 0; i < 10 && !h.session.ended; i++) h.server('334 VXNlcm5hbWU6');
    expect(await endError(h)).toMatchObject({ code: ErrorCodes.AUTH_CHALLENGE_LIMIT });
    expect(h.writes).toHaveLength(2 + 5);
  });

  test('secrets stay out of inspect() and JSON of the session and of emitted effects', () => {
    const h = new Harness({ security: 'implicit', auth: AUTH }).connect().server('250-mx\n250 AUTH PLAIN');
    const shown = `${inspect(h.session, { depth: 10, showHidden: true })} ${JSON.stringify(h.session)}`;
    expect(shown).not.toContain(AUTH.pass);
    expect(shown).not.toContain(AUTH.user);
  });

  test('greeting refused (554) and 421 end the session', async () => {
    const refused = new Harness().connect('554 no service');
    expect(await endError(refused)).toMatchObject({ code: ErrorCodes.GREETING_REFUSED });
    const busy = new Harness().connect('421 4.3.2 busy');
    expect(await endError(busy)).toMatchObject({ code: ErrorCodes.SERVICE_UNAVAILABLE });
    expect(busy.writes).toEqual([]);
  });
});
