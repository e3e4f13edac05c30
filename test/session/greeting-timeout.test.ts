// RFC 5321 §4.5.3.2.1: no greeting within the greeting timeout ends the session (SMTP_TIMEOUT, phase
// greeting, not-sent). When the client did not start with TLS, the likeliest cause is a port that
// expects TLS from the first byte (RFC 8314 implicit TLS) and so says nothing: the error says so.
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors/codes.js';
import type { SmtpError } from '../../src/errors/smtp-error.js';
import { DEFAULT_TIMEOUTS } from '../../src/session/timeouts.js';
import type { Security } from '../../src/session/types.js';
import { Harness } from './harness.js';

async function greetingTimeout(security: Security): Promise<SmtpError> {
  const h = new Harness({ security });
  h.session.connected();
  h.clock.increment(DEFAULT_TIMEOUTS.greeting);
  expect(h.closed).toBe(true);
  return h.session.whenReady.then(
    () => {
      throw new Error('the session became ready');
    },
    (error: SmtpError) => error,
  );
}

describe('greeting timeout', () => {
  it.each<Security>(['starttls', 'starttls-opportunistic', 'none'])(
    'without TLS first (%s) it suggests implicit TLS',
    async (security) => {
      const error = await greetingTimeout(security);
      expect(error).toMatchObject({ code: ErrorCodes.TIMEOUT, phase: 'greeting', outcome: 'not-sent' });
      expect(error.message).toMatch(/^greeting: timed out/);
      expect(error.message).toContain("security 'implicit'");
    },
  );

  it('over implicit TLS it does not (the handshake already happened)', async () => {
    const error = await greetingTimeout('implicit');
    expect(error.message).toBe('greeting: timed out');
  });
});
