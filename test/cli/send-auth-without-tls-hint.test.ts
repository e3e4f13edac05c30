/**
 * `send --security none` with SMTP_USER/SMTP_PASS set fails SMTP_AUTH_WITHOUT_TLS (78), whose message
 * names the library's dangerouslyAllowAuthWithoutTls, which the CLI does not have: the hint says what
 * a CLI user can do. Found by a CLI review.
 */
import { expect, test } from 'vitest';
import { resultHints } from '../../src/cli/commands/send-report.js';
import type { ConnectionConfig } from '../../src/cli/connection.js';
import type { DeliveryResult } from '../../src/cli/deliverer.js';
import { ExitCodes } from '../../src/cli/exit-codes.js';

const refused: DeliveryResult = {
  id: 1,
  status: 'failed',
  exitCode: ExitCodes.CONFIG,
  attempts: 1,
  ms: 5,
  error: {
    code: 'SMTP_AUTH_WITHOUT_TLS',
    message: "auth needs TLS: security 'none' sends no AUTH unless dangerouslyAllowAuthWithoutTls: true",
    phase: 'auth',
  },
  retries: {},
  history: [],
};

const config: ConnectionConfig = {
  host: 'mail.example.test',
  port: 25,
  security: 'none',
  region: undefined,
  caFile: undefined,
  caPem: undefined,
  clientName: undefined,
  timeoutMs: 1000,
  credentials: { user: 'u', pass: 'p' },
};

test('the hint names the flags: --security starttls or implicit, or no credentials', () => {
  const hints = resultHints(refused, 'generic', config);
  expect(hints).toEqual([expect.stringContaining('--security starttls')]);
  expect(hints[0]).toContain('SMTP_USER');
  expect(hints.join(' ')).not.toContain('dangerouslyAllowAuthWithoutTls');
});
