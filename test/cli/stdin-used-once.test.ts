/**
 * stdin can be read once: `--pass-stdin` with the message also from stdin (`--eml /dev/stdin`) is a
 * usage error, not an empty message delivered with exit 0 (the password read took all of stdin);
 * and an empty --eml file is no message at all. Found by a CLI review.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { makeTempDir, type TempDir } from '../support/servers/harness.js';
import { runCli, SEND_TO_NOWHERE } from './cli-harness.js';

let dir: TempDir | undefined;
afterEach(() => {
  dir?.remove();
  dir = undefined;
});

const ENVELOPE = ['--from', 'a@example.com', '--to', 'b@example.org'] as const;

describe('stdin used twice', () => {
  test.each(['--eml', '--batch', '--text-file', '--html-file', '--attach', '--ca'])(
    '--pass-stdin with %s /dev/stdin: exit 64, nothing read or sent',
    async (flag) => {
      const message = flag === '--attach' || flag === '--ca' ? ['--text', 'x'] : [];
      const args = [...SEND_TO_NOWHERE, ...ENVELOPE, ...message, flag, '/dev/stdin', '--pass-stdin'];
      const run = await runCli(args, {
        env: { SMTP_USER: 'u' },
        stdin: 'secret\nFrom: a@example.com\r\n\r\nhi\r\n',
      });
      expect(run.code).toBe(64);
      expect(run.stderr).toContain('--pass-stdin');
      expect(run.stderr).not.toContain('secret');
    },
  );
});

test('an empty --eml file: exit 64, not an empty message delivered', async () => {
  dir = makeTempDir('eml');
  const empty = join(dir.path, 'empty.eml');
  writeFileSync(empty, '');
  const run = await runCli([...SEND_TO_NOWHERE, ...ENVELOPE, '--eml', empty]);
  expect(run.code).toBe(64);
  expect(run.stderr).toContain('empty');
});
