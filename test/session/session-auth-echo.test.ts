/**
 * threats.md §5: while authenticating, a server may echo the user name (an IAM access key id for SES)
 * — in a well-formed refusal, or in a line so malformed that the parser's error quotes it. Neither
 * may carry a credential into the error the caller sees.
 */
import { expect, test } from 'vitest';
import { flush, Harness } from './harness.js';

const AUTH = { user: 'AKIAEXAMPLEUSER', pass: 's3cr3t-pass' };

test.each([
  ['a malformed line', `535 5.7.8 bad credentials for ${AUTH.user}\r\n5x5 oops\r\n`, 'first'],
  ['a malformed line quoting the user', `5355.7.8 Authentication failed for ${AUTH.user}\r\n`, 'malformed'],
  ['a multi-line reply changing code', `535-5.7.8 no\r\n534 5.7.8 failed for ${AUTH.user}\r\n`, 'malformed'],
])('while authenticating, %s: the error holds no credential', async (_name, bytes) => {
  const h = new Harness({ security: 'implicit', auth: AUTH }).connect().server('250-mx\n250 AUTH PLAIN');
  expect(h.session.state).toBe('auth');
  h.session.receive(new TextEncoder().encode(bytes));
  await flush();
  const error = await h.session.whenReady.then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  expect(error).toBeDefined();
  expect(`${error!.message} ${JSON.stringify(error)}`).not.toContain(AUTH.user);
});

// The quote is escaped (JSON) and cut at 100 octets, so scrubbing it after the fact is not enough: a
// malformed reply while authenticating is not quoted at all.
test.each([
  [
    'a password with a quote and a backslash (escaped in a quote)',
    { user: 'bob', pass: 'pa"ss\\word' },
    'ss\\',
  ],
  ['a user name the 100-octet quote would cut', { user: 'AKIAEXAMPLEUSER1234', pass: 'x' }, 'AKIAEX'],
])('while authenticating, %s stays out of a malformed reply’s error', async (_name, auth, fragment) => {
  const h = new Harness({ security: 'implicit', auth }).connect().server('250-mx\n250 AUTH PLAIN');
  const echo = auth.user === 'bob' ? `bad ${auth.pass}` : `${'y'.repeat(84)} ${auth.user}`;
  h.session.receive(new TextEncoder().encode(`5355.7.8 ${echo}\r\n`));
  await flush();
  const error = await h.session.whenReady.then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  expect(error?.message).toMatch(/malformed/i);
  expect(`${error?.message} ${JSON.stringify(error)}`).not.toContain(fragment);
});
