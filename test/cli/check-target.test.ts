/**
 * `check` refuses what `send` refuses before dialling — a host that is not a host name or address
 * (`127.0.0.1:`, `:587`, control characters), an EHLO name that is empty or holds a line break —
 * as a usage error (64), not as a failed DNS or EHLO step (69, 75). Found by a CLI review.
 */
import { expect, test } from 'vitest';
import { runCli } from './cli-harness.js';

test.each([
  ['an empty --client-name', ['check', '127.0.0.1:1', '--security', 'none', '--client-name', '']],
  [
    'a --client-name with a line break',
    ['check', '127.0.0.1:1', '--security', 'none', '--client-name', 'x\r\nMAIL FROM:<e@x>'],
  ],
  ['a host with an empty port', ['check', '127.0.0.1:', '--security', 'none']],
  ['an empty host', ['check', ':587', '--security', 'none']],
  ['a host with an escape sequence', ['check', 'ev\u001b[31mil', '--security', 'none']],
])('%s: exit 64 before anything is dialled', async (_name, args) => {
  const run = await runCli([...args, '--json']);
  expect(run.code).toBe(64);
  expect(run.stdout).not.toContain('"dns"');
});
