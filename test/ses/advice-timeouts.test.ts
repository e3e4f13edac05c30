/**
 * SES's troubleshooting page on time-outs (../shared/reference/amazon-ses-smtp-issues.txt):
 * - "sending … from an Amazon EC2 instance using port 25, and you're receiving timeout errors":
 *   EC2's port-25 restriction, whether the dial or the greeting timed out;
 * - "MTU size – If you receive a time-out error message, the … MTU … may be too large … set the MTU
 *   size on that computer to 1500 bytes": a time-out once the connection is up;
 * and the 535 advice names the region to derive the password for, when it is known.
 */
import { describe, expect, it } from 'vitest';
import type { Phase } from '../../src/errors/smtp-error.js';
import { sesAdvice } from '../../src/ses/advice.js';

const HOST = 'email-smtp.eu-west-1.amazonaws.com';

describe('sesAdvice: time-outs', () => {
  it.each<Phase>(['connect', 'greeting'])('port 25, %s timed out: EC2 restricts port 25', (phase) => {
    const hints = sesAdvice({ code: 'SMTP_TIMEOUT', phase, port: 25, host: HOST, security: 'starttls' });
    expect(hints.join('\n')).toContain('Amazon EC2 restricts outbound port 25');
  });

  it.each<Phase>(['tls', 'starttls', 'ehlo', 'auth', 'body', 'data-end'])(
    'a time-out once connected (%s): the MTU advice',
    (phase) => {
      const hints = sesAdvice({ code: 'SMTP_TIMEOUT', phase, port: 587, host: HOST, security: 'starttls' });
      expect(hints.join('\n')).toMatch(/MTU.*1500 bytes/);
    },
  );

  it('no MTU advice for a dial or greeting time-out, or for other errors', () => {
    for (const phase of ['connect', 'greeting'] as const) {
      expect(sesAdvice({ code: 'SMTP_TIMEOUT', phase, port: 587 }).join('\n')).not.toContain('MTU');
    }
    expect(sesAdvice({ code: 'SMTP_CONNECTION_CLOSED', phase: 'body', port: 587 }).join('\n')).not.toContain(
      'MTU',
    );
  });
});

describe('sesAdvice: 535 names the region when it is known', () => {
  const refused = {
    reply: { code: 535, lines: ['Authentication Credentials Invalid'] },
    phase: 'auth',
  } as const;

  it.each([
    ['the host', { host: HOST }, 'eu-west-1'],
    ['--region', { host: '127.0.0.1', region: 'us-east-2' }, 'us-east-2'],
  ])('from %s', (_label, where, region) => {
    const text = sesAdvice({ ...refused, ...where, pass: 'x' }).join('\n');
    expect(text).toContain(`smtp-machine password --region ${region}`);
    expect(text).not.toContain('<region>');
  });

  it('unknown region: the placeholder stays', () => {
    expect(sesAdvice({ ...refused, pass: 'x' }).join('\n')).toContain('--region <region>');
  });
});
