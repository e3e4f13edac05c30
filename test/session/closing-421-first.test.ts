/**
 * RFC 5321 §3.8: a 421 is the server closing, whatever follows it in the read. In every state that
 * checks for it before the lock-step "reply nobody asked for" rule (session-machine.ts `closing`
 * before `unasked`), a 421 with more bytes behind it still ends the session as SERVICE_UNAVAILABLE
 * (a 4xx: not-sent, retryable), not as REPLY_UNEXPECTED.
 */
import { describe, expect, test } from 'vitest';
import { ErrorCodes } from '../../src/errors/codes.js';
import { Harness } from './harness.js';

const AUTH = { user: 'user', pass: 'pass' };
const CLOSING = '421 4.3.2 shutting down\r\n250 more\r\n';

const REACH: Record<string, () => Harness> = {
  ehlo: () => new Harness().connect(),
  helo: () => new Harness().connect().server('502 no'),
  ehloAfterTls: () => {
    const h = new Harness({ security: 'starttls' }).connect().server('250-mx\n250 STARTTLS').server('220 go');
    h.session.tlsEstablished();
    return h;
  },
  auth: () =>
    new Harness({ security: 'implicit', auth: { ...AUTH, method: 'LOGIN' } })
      .connect()
      .server('250-mx\n250 AUTH LOGIN'),
};

describe('a 421 with more behind it, before the session is ready', () => {
  for (const [state, reach] of Object.entries(REACH)) {
    test(`${state}: SERVICE_UNAVAILABLE, retryable`, async () => {
      const h = reach();
      expect(h.session.state).toBe(state);
      h.session.receive(new TextEncoder().encode(CLOSING));
      await expect(h.session.whenReady).rejects.toMatchObject({
        code: ErrorCodes.SERVICE_UNAVAILABLE,
        outcome: 'not-sent',
        retryable: true,
      });
    });
  }
});
