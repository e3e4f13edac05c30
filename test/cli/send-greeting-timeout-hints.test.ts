/**
 * A greeting that never came, on a port known to speak STARTTLS (SES's 25, 587, 2587), is not a
 * TLS-mode mix-up: implicit TLS is refused on those ports, so the hint would send the user to an
 * option the client then rejects. On port 25, SES's page names EC2's restriction instead. On a port
 * of unknown mode, the mix-up stays a likely cause.
 */
import { describe, expect, test } from 'vitest';
import { resultHints } from '../../src/cli/commands/send-report.js';
import type { ConnectionConfig } from '../../src/cli/connection.js';
import type { DeliveryResult } from '../../src/cli/deliverer.js';
import { ExitCodes } from '../../src/cli/exit-codes.js';

const greetingTimedOut: DeliveryResult = {
  id: 1,
  status: 'failed',
  exitCode: ExitCodes.TEMP_FAIL,
  attempts: 1,
  ms: 5,
  error: { code: 'SMTP_TIMEOUT', message: 'greeting: timed out', phase: 'greeting' },
  retries: {},
  history: [],
};

const config = (host: string, port: number): ConnectionConfig => ({
  host,
  port,
  security: 'starttls',
  region: undefined,
  caFile: undefined,
  caPem: undefined,
  clientName: undefined,
  timeoutMs: 1000,
  credentials: undefined,
});

describe('send: hints for a greeting time-out', () => {
  test.each([25, 587, 2587])('SES host, STARTTLS port %i: no TLS-mode mix-up hint', (port) => {
    const hints = resultHints(greetingTimedOut, 'ses', config('email-smtp.us-east-1.amazonaws.com', port));
    expect(hints.join('\n')).not.toMatch(/mix-up|security 'implicit'/);
  });

  test('SES host, port 25: EC2 restricts port 25', () => {
    const hints = resultHints(greetingTimedOut, 'ses', config('email-smtp.us-east-1.amazonaws.com', 25));
    expect(hints.join('\n')).toContain('Amazon EC2 restricts outbound port 25');
  });

  test('a port of unknown mode: the mix-up is still named', () => {
    const hints = resultHints(greetingTimedOut, 'generic', config('127.0.0.1', 10465));
    expect(hints.join('\n')).toContain('TLS-mode mix-up');
  });
});

test('a server that is not SES, port 25: the mix-up hint, not SES advice about EC2', () => {
  const hints = resultHints(greetingTimedOut, 'generic', config('mx.example.net', 25));
  expect(hints.join('\n')).toContain('TLS-mode mix-up');
  expect(hints.join('\n')).not.toContain('EC2');
});
