import { describe, expect, test } from 'vitest';
import { describeResult, summaryText } from '../../src/cli/commands/send-report.js';
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

describe('send: each recipient that did not get the message is named for its own outcome', () => {
  const delivered = (outcome: string): DeliveryResult => ({
    id: 1,
    status: 'delivered',
    exitCode: ExitCodes.TEMP_FAIL,
    attempts: 2,
    ms: 5,
    reply: { code: 250, text: 'ok' },
    accepted: ['ok@example.org'],
    rejectedRecipients: [{ recipient: 'tmp@example.org', errorCode: ErrorCodes.CONNECTION_CLOSED, outcome }],
    retries: {},
    history: [],
  });

  test.each([
    ['unknown', 'may have been delivered to tmp@example.org'],
    ['not-sent', 'not delivered to tmp@example.org (not sent'],
    ['rejected', 'not delivered to tmp@example.org (refused'],
  ])('%s: "%s"', (outcome, words) => {
    const text = describeResult(delivered(outcome), []);
    expect(text).toContain(words);
    if (outcome === 'unknown') expect(text).not.toContain('not delivered to tmp@');
  });

  test('a message whose outcome is unknown still names the recipients refused on the way', () => {
    const text = describeResult(
      {
        id: 1,
        status: 'unknown',
        exitCode: ExitCodes.TEMP_FAIL,
        attempts: 1,
        ms: 5,
        error: { code: ErrorCodes.CONNECTION_CLOSED, message: 'data-end: connection closed' },
        rejectedRecipients: [
          {
            recipient: 'bad@example.org',
            code: 550,
            text: '5.1.1 no such user',
            errorCode: 'SMTP_RECIPIENT_REJECTED',
            outcome: 'rejected',
          },
        ],
        retries: {},
        history: [],
      },
      [],
    );
    expect(text).toContain('may have been delivered');
    expect(text).toContain('not delivered to bad@example.org (refused): 550 5.1.1 no such user');
  });
});

/** A batch summary with nothing in it but one opened connection, and `fields` on top. */
const summaryOf = (fields: Partial<Parameters<typeof summaryText>[0]>): string =>
  summaryText({
    total: 0,
    delivered: 0,
    partlyDelivered: 0,
    rejected: 0,
    failed: 0,
    unknown: 0,
    invalid: 0,
    retries: 0,
    retriesByCause: {},
    retriesByCode: {},
    throttled: 0,
    connections: { opened: 1, recycled: {}, closed: {} },
    ...fields,
  });

describe('send --batch: the summary says when a delivered message did not reach every recipient', () => {
  test('the text names the partly delivered ones', () => {
    const text = summaryOf({ total: 2, delivered: 2, partlyDelivered: 1 });
    expect(text).toContain('2/2 delivered (1 not to every recipient)');
  });

  test('the advice for the failures ends the text, one hint: line each', () => {
    const text = summaryOf({ total: 1, failed: 1, hints: ['first advice', 'second advice'] });
    expect(text.split('\n').slice(-2)).toEqual(['hint: first advice', 'hint: second advice']);
  });
});
