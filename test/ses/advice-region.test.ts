import { describe, expect, it } from 'vitest';
import { sesAdvice } from '../../src/ses/advice.js';

// SES checks a SigV4 SMTP password against the region of the endpoint that was dialled: when the host is
// an SES endpoint, its region is the one to derive for, whatever region was also given.
const refused = { code: 535, lines: ['Authentication Credentials Invalid'] };
const SECRET_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const V4_PASSWORD = 'BMXhUYlu5Z3gSXVQORxlVa7XPaz91aGWdfHxvkOZdWZ2';

describe('sesAdvice: the region a password hint names', () => {
  it.each([
    ['an SES endpoint', 'email-smtp.us-east-1.amazonaws.com', 'us-east-1'],
    ['an SES VPC endpoint', 'vpce-0123abcd-xyz.email-smtp.ap-south-1.vpce.amazonaws.com', 'ap-south-1'],
    ['a host that is not SES (a proxy, the simulator)', '127.0.0.1', 'eu-west-1'],
  ])('host %s, region eu-west-1: %s', (_label, host, expected) => {
    const v4 = sesAdvice({ reply: refused, phase: 'auth', pass: V4_PASSWORD, host, region: 'eu-west-1' });
    expect(v4).toContain(
      `SMTP passwords are derived per region: make sure this one was derived for ${expected}.`,
    );
    const secret = sesAdvice({ reply: refused, phase: 'auth', pass: SECRET_KEY, host, region: 'eu-west-1' });
    expect(secret.join('\n')).toContain(`smtp-machine password --region ${expected}\``);
  });
});
