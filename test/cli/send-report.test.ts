import { describe, expect, test } from 'vitest';
import { describeResult } from '../../src/cli/commands/send-report.js';
import type { DeliveryResult } from '../../src/cli/deliverer.js';
import { type ExitCode, ExitCodes, exitCodeForError } from '../../src/cli/exit-codes.js';
import { ErrorCodes } from '../../src/errors/codes.js';
import { SmtpError } from '../../src/errors/smtp-error.js';
import { runCli } from './cli-harness.js';

function notSent(code: string, exitCode: ExitCode): DeliveryResult {
  return {
    id: 1,
    status: 'failed',
    exitCode,
    attempts: 1,
    ms: 5,
    error: { code, message: `${code} happened` },
    retries: {},
    history: [],
  };
}

describe('send: the words for a message that was not sent follow its exit code', () => {
  test('SMTP_TLS_FAILED (78) is a configuration problem, not a temporary failure', () => {
    const text = describeResult(notSent('SMTP_TLS_FAILED', ExitCodes.CONFIG), []);
    expect(text).toMatch(/^not sent \(configuration problem: /);
    expect(text).not.toContain('temporary');
  });

  test('a local refusal (64) asks to fix the message or options', () => {
    const text = describeResult(notSent('SMTP_INVALID_ADDRESS', ExitCodes.USAGE), []);
    expect(text).toMatch(/^not sent \(refused before sending: /);
  });

  test('SMTP_INTERNAL_ERROR is an internal error whatever its exit code', () => {
    const text = describeResult(notSent('SMTP_INTERNAL_ERROR', ExitCodes.USAGE), []);
    expect(text).toMatch(/^not sent \(internal error\): /);
  });

  test('a line stopped by the daily quota (local, retryable) is a temporary failure, not a usage refusal', () => {
    const quota = new SmtpError({
      code: ErrorCodes.DAILY_QUOTA_EXCEEDED,
      message: 'quota',
      origin: 'local',
      outcome: 'not-sent',
      retryable: true,
    });
    const text = describeResult(notSent(quota.code, exitCodeForError(quota)), []);
    expect(text).toMatch(/^not sent \(temporary failure\): /);
  });

  test('a 4xx or timeout (75) stays a temporary failure', () => {
    const text = describeResult(notSent('SMTP_TIMEOUT', ExitCodes.TEMP_FAIL), ['try later']);
    expect(text).toBe('not sent (temporary failure): SMTP_TIMEOUT happened\nhint: try later');
  });
});

describe('smtp-machine --help', () => {
  test('lists exit code 70 with the others', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    for (const code of ['0 ok', '64 usage', '66 ', '69 ', '70 internal error', '75 ', '78 ']) {
      expect(help.stdout).toContain(code);
    }
  });
});
