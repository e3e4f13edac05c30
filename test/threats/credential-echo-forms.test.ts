/**
 * threats.md §5 — a server may echo a credential in the form it received it (base64), e.g. a 535
 * quoting the SASL line. Every wire form is scrubbed, in the error and in the log.
 */
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { ClientEvent } from '../../src/transport/client-options.js';
import { harness, MESSAGE, rejection } from '../support/client-harness.js';

const envelope = { from: 'a@example.test', to: ['b@example.test'], message: MESSAGE };
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

describe('threats §5: credentials echoed in their base64 wire form are scrubbed', () => {
  const cases = [
    ['LOGIN', 'the base64 user name line', (u: string, _p: string) => b64(u)],
    ['PLAIN', 'the PLAIN initial response', (u: string, p: string) => b64(`\0${u}\0${p}`)],
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
        { overrides: method === 'LOGIN' ? { AUTH_RESPONSE: override } : { AUTH: override } },
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
