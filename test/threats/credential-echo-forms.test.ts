/**
 * threats.md §5 — a server may echo a credential in the form it received it (base64), e.g. a 535
 * quoting the SASL line. Every wire form is scrubbed, in the error and in the log.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { ClientEvent } from '../../src/transport/client-options.js';
import { Harness } from '../session/harness.js';
import { harness, MESSAGE, rejection } from '../support/client-harness.js';

const envelope = { from: 'a@example.test', to: ['b@example.test'], message: MESSAGE };
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

describe('threats §5: credentials echoed in their base64 wire form are scrubbed', () => {
  const cases = [
    ['LOGIN', 'the base64 user name line', (u: string, _p: string) => b64(u)],
    ['PLAIN', 'the PLAIN initial response', (u: string, p: string) => b64(`\0${u}\0${p}`)],
    [
      'XOAUTH2',
      'the XOAUTH2 initial response',
      (u: string, p: string) => b64(`user=${u}\u0001auth=Bearer ${p}\u0001\u0001`),
    ],
  ] as const;
  for (const [method, what, form] of cases) {
    it(`${method}: a 535 quoting ${what}`, async () => {
      const tag = randomBytes(6).toString('hex').toUpperCase();
      const user = `AKIA${tag}USER`;
      const pass = `pw-${tag}-SECRET`;
      const echoed = form(user, pass);
      const events: ClientEvent[] = [];
      const override = `535 5.7.8 Authentication failed for ${echoed}`;
      const { client } = await harness(
        {
          overrides: method === 'LOGIN' ? { AUTH_RESPONSE: override } : { AUTH: override },
          ...(method === 'XOAUTH2'
            ? { capabilities: ['PIPELINING', 'STARTTLS', 'AUTH PLAIN LOGIN XOAUTH2'] }
            : {}),
        },
        { auth: { user, pass, method }, logger: (event) => events.push(event) },
      );
      const error = await rejection(client.send(envelope));
      expect(error.code).toBe('SMTP_AUTH_FAILED');
      const texts = [
        error.message,
        JSON.stringify(error),
        inspect(error, { depth: 10 }),
        JSON.stringify(events),
      ];
      for (const text of texts) expect(text).not.toContain(echoed);
    });
  }
});

describe('threats §5: a CRAM-MD5 response (the user name and an HMAC of the password) echoed while authenticating', () => {
  const hmacMd5 = (key: Uint8Array, data: Uint8Array) =>
    new Uint8Array(createHmac('md5', key).update(data).digest());

  it.each([
    [
      'a 535 quoting it',
      (h: Harness, echoed: string) => h.server(`535 5.7.8 Authentication failed for ${echoed}`),
    ],
    ['a 334 quoting it', (h: Harness, echoed: string) => h.server(`334 ${echoed}`).server('535 no')],
  ])('%s: scrubbed from the error and the transcript', async (_, reply) => {
    const tag = randomBytes(6).toString('hex').toUpperCase();
    // A user name whose base64 is not a prefix of the response's (its length is not a multiple of 3).
    const auth = { user: `AKIA${tag}USE`, pass: `pw-${tag}-SECRET`, method: 'CRAM-MD5' as const };
    const h = new Harness({ security: 'implicit', auth, hmacMd5 });
    h.connect().server('250-mx\n250 AUTH CRAM-MD5');
    h.server(`334 ${b64('<1896.697170952@postoffice.example.net>')}`);
    const echoed = h.lastWrite!.slice(0, -2);
    expect(Buffer.from(echoed, 'base64').toString()).toMatch(new RegExp(`^${auth.user} [0-9a-f]{32}$`));
    reply(h, echoed);
    const error = await h.session.whenReady.then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error).toMatchObject({ code: 'SMTP_AUTH_FAILED' });
    const texts = [
      String(error?.message),
      JSON.stringify(error),
      inspect(error, { depth: 10 }),
      JSON.stringify(h.transcript),
    ];
    for (const text of texts) expect(text).not.toContain(echoed);
    expect(JSON.stringify(h.transcript)).toContain('[redacted]');
  });
});
