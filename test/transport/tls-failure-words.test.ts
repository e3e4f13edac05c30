/**
 * A handshake met by something that is not TLS: on an implicit-TLS dial the likely cause is a
 * STARTTLS port, and the words say so; after STARTTLS's 220 it is the server (or something on the
 * way) that failed to switch, and a port change would not help.
 */
import { describe, expect, it } from 'vitest';
import { describeTlsFailure, handshakeFailure } from '../../src/transport/connect.js';

const notTls = Object.assign(new Error('1C0F0000:error:0A00010B:SSL routines::wrong version number'), {
  code: 'ERR_SSL_WRONG_VERSION_NUMBER',
});

describe('the words for a non-TLS answer', () => {
  it('implicit TLS: asks whether the port is STARTTLS', () => {
    expect(describeTlsFailure(notTls, 'mx.example', 'implicit')).toMatch(/is this port STARTTLS/);
  });

  it('after STARTTLS: names the broken switch, no port advice', () => {
    const words = describeTlsFailure(notTls, 'mx.example', 'starttls');
    expect(words).toBe(
      'mx.example did not answer with TLS after accepting STARTTLS (its 220): the server or something on the way is broken',
    );
    expect(handshakeFailure(notTls, 'mx.example', 'starttls')).toMatchObject({
      code: 'SMTP_TLS_FAILED',
      message: `TLS failed: ${words}`,
    });
  });
});
