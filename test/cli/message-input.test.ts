/**
 * `smtp-machine send` composing from flags: a message the composer refuses is a usage error (64)
 * that keeps the composer's stable SMTP_* code, in --json output and on stderr.
 */
import { describe, expect, test } from 'vitest';
import { CliError } from '../../src/cli/args.js';
import { messageFromFlags } from '../../src/cli/message-input.js';
import { runCli, SEND_TO_NOWHERE } from './cli-harness.js';

/** `send` from flags to a port nothing listens on (the message is refused before connecting). */
const sendToNowhere = (...message: string[]) => [...SEND_TO_NOWHERE, '--from', 'a@example.com', ...message];

describe('send: a message the composer refuses', () => {
  test('messageFromFlags throws a usage CliError carrying the SMTP_* code', async () => {
    const refusal = messageFromFlags({ from: 'a@example.com', to: ['b@example.org'], subject: 'a\nb' });
    await expect(refusal).rejects.toBeInstanceOf(CliError);
    await expect(refusal).rejects.toMatchObject({
      exitCode: 64,
      code: 'SMTP_CONTROL_CHARACTER',
      message: 'message: header Subject contains a line break or NUL',
    });
  });

  test.each([
    ['a line break in --subject', ['--to', 'b@example.org', '--subject', 'a\nb'], 'SMTP_CONTROL_CHARACTER'],
    // The composer writes no SMTPUTF8 headers: still a usage error (64), not a refused message (69).
    ['a non-ASCII --to', ['--to', 'ü@example.org', '--text', 'x'], 'SMTP_UTF8_NOT_SUPPORTED'],
    [
      'an extra Subject --header',
      ['--to', 'b@example.org', '--header', 'Subject: x'],
      'SMTP_INVALID_ARGUMENT',
    ],
  ])('%s: --json shows the code, exit 64', async (_name, message, code) => {
    const run = await runCli([...sendToNowhere(...message), '--json']);
    expect(run.code).toBe(64);
    const out = JSON.parse(run.stdout) as { ok: boolean; error: Record<string, unknown> };
    expect(out.ok).toBe(false);
    expect(out.error).toMatchObject({ name: 'CliError', exitCode: 64, code });
    expect(out.error.message).toMatch(/^message: /);
  });

  test('without --json the error line ends with the code, as an SmtpError does', async () => {
    const run = await runCli(sendToNowhere('--to', 'b@example.org', '--subject', 'a\nb'));
    expect(run.code).toBe(64);
    expect(run.stderr).toContain(
      'error: message: header Subject contains a line break or NUL [SMTP_CONTROL_CHARACTER]',
    );
  });
});

describe('send --header', () => {
  test('a name given twice is a usage error, not the last one winning', async () => {
    const twice = messageFromFlags({
      from: 'a@example.com',
      to: ['b@example.org'],
      header: ['X-A: 1', 'X-A: 2'],
    });
    await expect(twice).rejects.toMatchObject({ exitCode: 64, code: 'SMTP_INVALID_ARGUMENT' });
  });

  test('each name is a header of its own, __proto__ included', async () => {
    const { raw } = await messageFromFlags({
      from: 'a@example.com',
      to: ['b@example.org'],
      header: ['X-A: 1', '__proto__: 2'],
    });
    const text = new TextDecoder().decode(raw);
    expect(text).toContain('\r\nX-A: 1\r\n');
    expect(text).toContain('\r\n__proto__: 2\r\n');
  });
});
