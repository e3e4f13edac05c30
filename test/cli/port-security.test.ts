/**
 * `send` with STARTTLS or plaintext on port 465 (implicit TLS on any host, RFC 8314 §3.3) is a usage
 * error (64) naming --security's field, before any connection: not a greeting timeout retried for
 * the --deadline (the server on 465 waits for a ClientHello and never greets in plaintext).
 */
import { describe, expect, test } from 'vitest';
import { ONE_MESSAGE, runCli } from './cli-harness.js';

describe('send --port 465 with a mode other than implicit TLS', () => {
  test.each(['starttls', 'none'])('--security %s: exit 64 saying 465 is implicit TLS', async (security) => {
    const args = ['send', '--host', '127.0.0.1', '--port', '465', '--security', security, ...ONE_MESSAGE];
    const run = await runCli([...args, '--timeout', '1', '--no-retry', '--json']);
    expect(run.code).toBe(64);
    const result = JSON.parse(run.stdout) as { error: { code: string; field: string; message: string } };
    expect(result.error).toMatchObject({ code: 'SMTP_INVALID_ARGUMENT', field: 'security' });
    expect(result.error.message).toContain('port 465 is implicit TLS');
  });
});
