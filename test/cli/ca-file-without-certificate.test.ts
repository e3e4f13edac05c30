/**
 * A --ca file that holds no PEM certificate (a typo'd path to another file, garbage) is a usage
 * error (64) naming the flag, before anything is dialled — not a TLS failure whose hint says to
 * "pass --ca FILE" (78). Found by a CLI review.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { makeTempDir, type TempDir } from '../support/servers/harness.js';
import { runCli, SEND_TO_NOWHERE } from './cli-harness.js';

let dir: TempDir | undefined;
afterEach(() => {
  dir?.remove();
  dir = undefined;
});

test('an OpenSSL TRUSTED CERTIFICATE bundle (which Node takes as a CA) is not refused', async () => {
  dir = makeTempDir('ca');
  const trusted = join(dir.path, 'trusted.pem');
  // Not a valid certificate inside, but the form `openssl x509 -addtrust` and p11-kit write: the
  // CLI must not refuse it before TLS looks at it (check fails later, at the connection: not 64).
  writeFileSync(trusted, '-----BEGIN TRUSTED CERTIFICATE-----\nAAAA\n-----END TRUSTED CERTIFICATE-----\n');
  const run = await runCli(['check', '127.0.0.1:1', '--security', 'none', '--ca', trusted]);
  expect(run.code).not.toBe(64);
});

test.each([
  ['send', [...SEND_TO_NOWHERE, '--from', 'a@example.com', '--to', 'b@example.org', '--text', 'x']],
  ['check', ['check', '127.0.0.1:1', '--security', 'none']],
])('%s --ca garbage.pem: exit 64, naming --ca', async (_name, args) => {
  dir = makeTempDir('ca');
  const garbage = join(dir.path, 'garbage.pem');
  writeFileSync(garbage, 'garbage\n');
  const run = await runCli([...args, '--ca', garbage]);
  expect(run.code).toBe(64);
  expect(run.stderr).toContain('--ca');
  expect(run.stderr).toContain('certificate');
});
