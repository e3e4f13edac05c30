import { describe, expect, it } from 'vitest';
import {
  DEFAULT_IDLE_TIMEOUT_MS,
  defaultClientName,
  resolveClientOptions,
} from '../../src/transport/client-options.js';

// What a client gets when it sets nothing: port 587 with STARTTLS negotiated by the server,
// PIPELINING and CHUNKING used when offered, idle connections QUIT after DEFAULT_IDLE_TIMEOUT_MS,
// AUTH never in plaintext.
describe('client options: defaults', () => {
  it('are the documented ones', () => {
    expect(resolveClientOptions({ host: 'h.test' })).toMatchObject({
      port: 587,
      pipelining: true,
      chunking: true,
      idleTimeoutMs: DEFAULT_IDLE_TIMEOUT_MS,
      dangerouslyAllowAuthWithoutTls: false,
    });
  });

  it('take false when asked', () => {
    expect(resolveClientOptions({ host: 'h.test', pipelining: false, chunking: false })).toMatchObject({
      pipelining: false,
      chunking: false,
    });
  });
});

// RFC 5321 §4.1.3: an IPv6 address literal has no zone ID; a link-local address with one (which
// Node's isIP accepts) cannot be the EHLO name, and the fallback literal is used instead.
describe('defaultClientName: an IPv6 local address with a zone ID', () => {
  it('is not used as an address literal', () => {
    expect(defaultClientName('fe80::1%eth0', 'laptop')).toBe('[127.0.0.1]');
    expect(defaultClientName('fe80::1', 'laptop')).toBe('[IPv6:fe80::1]');
  });
});
