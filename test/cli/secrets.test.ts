/**
 * Secrets piped on stdin (the SES secret access key, the SMTP password): only the line ending is
 * taken off, the read is bounded, and the refusal of an oversized one never quotes it.
 */
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CliError } from '../../src/cli/args.js';
import { resolveConnection } from '../../src/cli/connection.js';
import { runCli } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/output.js';
import { firstLine, readStdinSecret } from '../../src/cli/secrets.js';
import { ONE_MESSAGE, SEND_TO_NOWHERE } from './cli-harness.js';
import { memoryIo } from './memory-io.js';

const MAX = 64 * 1024;
const piped = (...chunks: (string | Buffer)[]) => Readable.from(chunks);

describe('readStdinSecret', () => {
  it.each([
    ['pass\n', 'pass'],
    ['pass\r\n', 'pass'],
    ['pass', 'pass'],
    ['pa ss  \n', 'pa ss  '], // spaces are the secret's own
    ['line one\nline two\n', 'line one\nline two'], // only the last line ending goes
  ])('%j → %j', async (stdin, secret) => {
    await expect(readStdinSecret(piped(stdin), 'the password')).resolves.toBe(secret);
  });

  it('joins chunks, strings or bytes', async () => {
    await expect(readStdinSecret(piped('pa', Buffer.from('ss\n')), 'the password')).resolves.toBe('pass');
  });

  it('takes 64 KiB, refuses one octet more with a usage error that does not quote it', async () => {
    const secret = 'topsecret/'.repeat(MAX / 10 + 1).slice(0, MAX);
    await expect(readStdinSecret(piped(secret), 'the password')).resolves.toBe(secret);
    const refusal = readStdinSecret(piped(secret.slice(0, 1000), `${secret.slice(1000)}x`), 'the password');
    await expect(refusal).rejects.toBeInstanceOf(CliError);
    const error = (await refusal.catch((e: unknown) => e)) as CliError;
    expect(error.exitCode).toBe(64);
    expect(error.message).toBe('the password on stdin is too long');
    expect(JSON.stringify({ ...error, message: error.message })).not.toContain('topsecret');
  });
});

describe('firstLine', () => {
  it.each([
    ['pass', 'pass'],
    ['pass\nrest', 'pass'],
    ['pass\r\nrest', 'pass'],
    ['', ''],
  ])('%j → %j', (text, line) => {
    expect(firstLine(text)).toBe(line);
  });
});

describe('SMTP credentials', () => {
  const io = (env: Record<string, string>, stdin?: string, isTTY?: boolean): CliIo => {
    const input = Object.assign(Readable.from(stdin === undefined ? [] : [stdin]), isTTY ? { isTTY } : {});
    return {
      stdin: input,
      stdout: process.stdout,
      stderr: process.stderr,
      env,
      signal: new AbortController().signal,
    };
  };
  const target = { host: '127.0.0.1', port: '2525', security: 'none' };
  const credentials = async (
    env: Record<string, string>,
    passStdin = false,
    stdin?: string,
    isTTY?: boolean,
  ) => (await resolveConnection({ ...target, 'pass-stdin': passStdin }, io(env, stdin, isTTY))).credentials;

  it('SMTP_USER and SMTP_PASS; none at all is no AUTH', async () => {
    await expect(credentials({ SMTP_USER: 'u', SMTP_PASS: 'p' })).resolves.toEqual({ user: 'u', pass: 'p' });
    await expect(credentials({})).resolves.toBeUndefined();
  });

  it('--pass-stdin with nothing on stdin says so (not "use --pass-stdin")', async () => {
    const error = (await credentials({ SMTP_USER: 'u' }, true, '').catch((e: unknown) => e)) as CliError;
    expect(error.exitCode).toBe(64);
    expect(error.message).toBe('--pass-stdin read no password: stdin was empty');
  });

  it('--pass-stdin takes the first line of stdin, CRLF or LF', async () => {
    await expect(credentials({ SMTP_USER: 'u' }, true, 'p w\r\nextra\n')).resolves.toEqual({
      user: 'u',
      pass: 'p w',
    });
  });

  it.each([
    ['a password without SMTP_USER', { SMTP_PASS: 'hunter2' }, false],
    ['an empty SMTP_USER with a password', { SMTP_USER: '', SMTP_PASS: 'hunter2' }, false],
    ['SMTP_USER with an empty SMTP_PASS', { SMTP_USER: 'u', SMTP_PASS: '' }, false],
    ['--pass-stdin from a terminal', { SMTP_USER: 'u' }, true],
  ] as const)(
    '%s is a usage error (64) that does not quote the password',
    async (_name, env, fromTerminal) => {
      const error = (await credentials(env, fromTerminal, 'hunter2\n', fromTerminal).catch(
        (e: unknown) => e,
      )) as CliError;
      expect(error).toBeInstanceOf(CliError);
      expect(error.exitCode).toBe(64);
      expect(error.message).not.toContain('hunter2');
    },
  );
});

describe('a secret read from stdin that never ends, then Ctrl-C', () => {
  it('stops waiting: exit 75 (interrupted), and lets go of stdin', async () => {
    const stdin = new PassThrough();
    const controller = new AbortController();
    const reading = readStdinSecret(stdin, 'the password', controller.signal);
    controller.abort(new Error('received SIGINT'));
    const error = (await reading.catch((e: unknown) => e)) as CliError;
    expect(error).toBeInstanceOf(CliError);
    expect(error.exitCode).toBe(75);
    expect(error.message).toBe('interrupted while reading the password on stdin');
    expect(stdin.destroyed).toBe(true);
  });

  it.each([
    ['send --pass-stdin', [...SEND_TO_NOWHERE, '--pass-stdin', ...ONE_MESSAGE], { SMTP_USER: 'u' }],
    ['password, no env', ['password', '--region', 'eu-west-1'], {}],
  ] as const)('%s: the command ends with 75', async (_, args, env) => {
    const { io, controller } = memoryIo({ ...env });
    const run = runCli([...args, '--json'], io);
    setTimeout(() => controller.abort(new Error('received SIGINT')), 50);
    const timeout = new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 3000));
    expect(await Promise.race([run, timeout])).toBe(75);
  });
});
