/**
 * RFC 3207 §4.2: a server must not offer STARTTLS again after the handshake, and a client must not
 * issue it twice (§4.2: "The client MUST NOT attempt to start a TLS session if a TLS session is already
 * active"). A post-TLS EHLO that still lists STARTTLS is taken as it is: the session is ready.
 */
import { describe, expect, test } from 'vitest';
import { flush, Harness } from './harness.js';

describe('STARTTLS is issued at most once', () => {
  test.each(['starttls', 'starttls-opportunistic'] as const)(
    '%s: the EHLO after TLS lists STARTTLS again → ready, no second STARTTLS',
    async (security) => {
      const h = new Harness({ security }).connect().server('250-mx\n250 STARTTLS').server('220 go');
      h.session.tlsEstablished();
      h.server('250-mx\n250-PIPELINING\n250 STARTTLS');
      await h.session.whenReady;
      expect(h.session.state).toBe('ready');
      expect(h.writes).toEqual(['EHLO client.example\r\n', 'STARTTLS\r\n', 'EHLO client.example\r\n']);
      expect(h.effects.filter((effect) => effect.type === 'upgradeTls')).toHaveLength(1);
    },
  );

  test('implicit TLS: an EHLO that lists STARTTLS → ready, no STARTTLS', async () => {
    const h = new Harness({ security: 'implicit' }).connect().server('250-mx\n250 STARTTLS');
    await flush();
    expect(h.session.state).toBe('ready');
    expect(h.writes).toEqual(['EHLO client.example\r\n']);
  });
});
