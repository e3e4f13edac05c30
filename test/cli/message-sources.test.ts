/**
 * Where `send` gets its message: flags (composed), an .eml file (sent as is, envelope from flags) or
 * a JSON Lines batch (one message a line; a line that is not one is reported, the others go).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliError } from '../../src/cli/args.js';
import { messageFromEml, messageFromFlags, messagesFromBatch } from '../../src/cli/message-input.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'smtp-machine-sources-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, content: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

const text = (raw: Uint8Array) => Buffer.from(raw).toString('latin1');

/** The usage error (64) a promise rejects with. */
async function usage(promise: Promise<unknown>): Promise<CliError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CliError);
  expect((error as CliError).exitCode).toBe(64);
  return error as CliError;
}

const to = ['b@example.org'];

describe('messageFromFlags', () => {
  it('refuses a message without --from, and --text with --text-file, in those words', async () => {
    expect((await usage(messageFromFlags({ to }))).message).toBe('--from is required');
    const body = await file('body.txt', 'from a file');
    const both = messageFromFlags({ from: 'a@example.com', to, text: 'x', 'text-file': body });
    expect((await usage(both)).message).toBe('give --text or --text-file, not both');
  });

  it('--header "Name: value" is trimmed on both sides; a header without a name is refused', async () => {
    const message = await messageFromFlags({ from: 'a@example.com', to, header: ['X-Tag:   v  '] });
    expect(text(message.raw)).toContain('\r\nX-Tag: v\r\n');
    const nameless = messageFromFlags({ from: 'a@example.com', to, header: [': value'] });
    expect((await usage(nameless)).message).toBe('--header must look like "Name: value"');
  });

  it('--attach names the attachment by its file name, never the local path', async () => {
    await mkdir(join(dir, 'private-folder'), { recursive: true });
    const path = await file('private-folder/report.txt', 'data');
    const raw = text((await messageFromFlags({ from: 'a@example.com', to, attach: [path] })).raw);
    expect(raw).toContain('report.txt');
    expect(raw).not.toContain('private-folder');
  });
});

describe('messageFromEml', () => {
  it('the envelope comes from --from/--to in display form; --binary only when given as true', async () => {
    const eml = await file('m.eml', 'Subject: x\r\n\r\nbody\r\n');
    const plain = await messageFromEml(eml, { from: 'A <a@example.com>', to: ['B <b@example.org>'] });
    expect(plain).toMatchObject({ from: 'a@example.com', to: ['b@example.org'] });
    expect(plain).not.toHaveProperty('binary');
    const off = await messageFromEml(eml, { from: 'a@example.com', to, binary: false });
    expect(off).not.toHaveProperty('binary');
    expect(await messageFromEml(eml, { from: 'a@example.com', to, binary: true })).toMatchObject({
      binary: true,
    });
  });

  it.each([
    ['header', { header: ['X-A: b'] }],
    ['attach', { attach: ['x.txt'] }],
    ['subject', { subject: 'x' }],
  ] as const)('refuses --%s, which the file would silently ignore', async (flag, extra) => {
    const eml = await file('m2.eml', 'Subject: x\r\n\r\nbody\r\n');
    const refusal = messageFromEml(eml, { from: 'a@example.com', to, ...extra });
    expect((await usage(refusal)).message).toBe(
      `--${flag} cannot be combined with --eml (the file is sent as is)`,
    );
  });
});

describe('messagesFromBatch', () => {
  it('a line with its own "from" keeps it; --from is only the default', async () => {
    const batch = await file(
      'from.jsonl',
      '{"to":"b@example.org","text":"x"}\n{"from":"c@example.com","to":"b@example.org","text":"y"}\n',
    );
    const { messages, invalid } = await messagesFromBatch(batch, { from: 'a@example.com' });
    expect(invalid).toEqual([]);
    expect(messages.map((m) => [m.id, m.from])).toEqual([
      [1, 'a@example.com'],
      [2, 'c@example.com'],
    ]);
  });

  it('skips a byte order mark and blank or whitespace-only lines, numbering lines as in the file', async () => {
    const batch = await file(
      'bom.jsonl',
      '\uFEFF{"from":"a@example.com","to":"b@example.org","text":"x"}\r\n   \r\n\t\n{"from":"a@example.com","to":"b@example.org","text":"y"}\r\n',
    );
    const { messages, invalid } = await messagesFromBatch(batch, {});
    expect(invalid).toEqual([]);
    expect(messages.map((m) => m.id)).toEqual([1, 4]);
  });

  it('an unknown field or a refused message is an invalid line, with the SMTP_* code when the library refused it', async () => {
    const batch = await file(
      'bad.jsonl',
      [
        '{"from":"a@example.com","to":"b@example.org","attachments":[]}',
        '{"from":"a@example.com","to":"b@example.org","subject":"a\\nb"}',
        '{"from":"a@example.com","to":"b@example.org","text":"fine"}',
      ].join('\n'),
    );
    const { messages, invalid } = await messagesFromBatch(batch, {});
    expect(messages.map((m) => m.id)).toEqual([3]);
    expect(invalid).toEqual([
      {
        id: 1,
        problem: 'line 1: unknown field "attachments" (allowed: from, to, cc, bcc, subject, text, html)',
      },
      {
        id: 2,
        problem: 'line 2: header Subject contains a line break or NUL',
        code: 'SMTP_CONTROL_CHARACTER',
      },
    ]);
  });

  it('refuses --to (each line holds its whole message)', async () => {
    const batch = await file('to.jsonl', '{"from":"a@example.com","to":"b@example.org","text":"x"}\n');
    const refusal = messagesFromBatch(batch, { to });
    expect((await usage(refusal)).message).toBe(
      '--to cannot be combined with --batch (each line holds its whole message)',
    );
  });
});
