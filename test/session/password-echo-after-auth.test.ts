/**
 * threats.md §5: secrets never appear in error messages. After AUTH the server knows the password,
 * so a reply may echo it (or the base64 forms AUTH sent) in any later phase: such forms of eight or
 * more characters are scrubbed from every later reply — refusals, the final reply a send resolves
 * with, a refused recipient's reply, the transcript — and a malformed reply's quote, escaped and cut
 * at 100 octets, is dropped when it holds any part of one. A shorter password, or the user name
 * (often the sender's own address), is left as sent outside AUTH (auth-scrub-scope.test.ts).
 */
import { describe, expect, test } from 'vitest';
import { ErrorCodes } from '../../src/errors/codes.js';
import { flush, Harness } from './harness.js';

const AUTH = { user: 'AKIAEXAMPLEUSER', pass: 'pw-Secret-Value-123' };
const b64 = (text: string) => Buffer.from(text).toString('base64');
const XOAUTH2 = b64(`user=${AUTH.user}\u0001auth=Bearer ${AUTH.pass}\u0001\u0001`);
const FORMS = [AUTH.pass, b64(AUTH.pass), b64(`\0${AUTH.user}\0${AUTH.pass}`), XOAUTH2];

function authenticated(): Harness {
  const h = new Harness({ security: 'implicit', auth: AUTH })
    .connect()
    .server('250-mx\n250-PIPELINING\n250 AUTH PLAIN');
  h.server('235 ok');
  expect(h.session.state).toBe('ready');
  return h;
}

const holdsNoForm = (text: string) => {
  for (const form of FORMS) expect(text).not.toContain(form);
};

describe('after AUTH, a reply echoing the password', () => {
  test('a MAIL refusal: the error and its reply hold [redacted], not the password or its base64', async () => {
    const h = authenticated();
    const sent = h.send();
    h.server(`550 5.7.1 go away ${AUTH.pass} ${b64(AUTH.pass)} ${XOAUTH2}\n250 ok\n554 no`);
    h.server('250 reset');
    await flush();
    expect(sent.result).toMatchObject({
      ok: false,
      error: {
        code: ErrorCodes.SENDER_REJECTED,
        message: 'mail: server refused: 550 5.7.1 go away [redacted] [redacted] [redacted]',
      },
    });
    const error = (sent.result as { error: Error }).error;
    holdsNoForm(`${error.message} ${JSON.stringify(error)}`);
  });

  test("the final reply a send resolves with, a refused recipient's reply and the transcript", async () => {
    const h = authenticated();
    const sent = h.send({ to: ['b@example.org', 'c@example.org'] });
    h.server(`250 ok\n250 ok\n550 5.1.1 no such user (auth ${b64(`\0${AUTH.user}\0${AUTH.pass}`)})\n354 go`);
    h.session.bodyFinished();
    h.server(`250 2.0.0 queued as 1234 for ${AUTH.pass}`);
    await flush();
    expect(sent.result).toMatchObject({ ok: true });
    const result = (sent.result as { value: unknown }).value;
    holdsNoForm(JSON.stringify(result));
    expect(JSON.stringify(result)).toContain('[redacted]');
    const logged = h.transcript.map((entry) => entry.text).join('\n');
    holdsNoForm(logged);
    expect(logged).toContain('for [redacted]');
    // Entries whose text was scrubbed say so; the others do not.
    const replies = h.transcript.filter((entry) => entry.direction === 'server');
    expect(
      replies.filter((entry) => entry.text.includes('[redacted]')).every((entry) => entry.redacted),
    ).toBe(true);
    expect(
      replies.filter((entry) => entry.redacted).every((entry) => entry.text.includes('[redacted]')),
    ).toBe(true);
    expect(replies.some((entry) => entry.redacted)).toBe(true);
  });

  test('a malformed reply whose 100-octet quote would cut the password: the quote is dropped', async () => {
    const h = authenticated();
    const sent = h.send();
    // The quote keeps the first 100 octets: the password starts at octet 92, so 8 of its octets
    // would be quoted and the rest cut.
    h.session.receive(new TextEncoder().encode(`2x0 ${'y'.repeat(87)} ${AUTH.pass}\r\n`));
    await flush();
    expect(sent.result).toMatchObject({ ok: false, error: { code: ErrorCodes.REPLY_MALFORMED } });
    const error = (sent.result as { error: Error }).error;
    expect(`${error.message} ${JSON.stringify(error)}`).not.toContain(AUTH.pass.slice(0, 6));
    expect(error.message).toMatch(/not quoted/);
  });
});

describe('the length boundary (MIN_ECHO_FORM = 8)', () => {
  const echoedOnMail = async (pass: string) => {
    const h = new Harness({ security: 'implicit', auth: { user: 'u@example.com', pass } })
      .connect()
      .server('250-mx\n250 AUTH PLAIN');
    h.server('235 ok');
    const sent = h.send();
    h.server(`550 5.7.1 nope ${pass}`);
    h.server('250 reset');
    await flush();
    const error = (sent.result as { error: Error }).error;
    return `${error.message} ${h.transcript.map((entry) => entry.text).join('\n')}`;
  };

  test('a password of exactly 8 characters is scrubbed', async () => {
    const text = await echoedOnMail('Abcd1234');
    expect(text).not.toContain('Abcd1234');
    expect(text).toContain('nope [redacted]');
  });

  test('one of 7 is left as sent (it may be a word of the reply)', async () => {
    expect(await echoedOnMail('Abc1234')).toContain('nope Abc1234');
  });
});
