/** check's AUTH step tries what send would use, CRAM-MD5 included (RFC 2195), so it never fails a server send works with. */

import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { describe, expect, test } from 'vitest';
import { tlsFixtures } from '../support/tls-fixtures.js';
import { ONE_MESSAGE, runCli } from './cli-harness.js';

describe('check: AUTH mechanisms', () => {
  test('a server offering only AUTH CRAM-MD5: send authenticates and delivers, check must not say 78', async () => {
    const fx = await tlsFixtures();
    const ca = join(await mkdtemp(join(tmpdir(), 'cli-cram-')), 'ca.pem');
    await writeFile(ca, fx.ca.cert);
    const server = new SMTPServer({
      key: fx.server.key,
      cert: fx.server.cert,
      authMethods: ['CRAM-MD5'],
      onAuth(auth, _session, cb) {
        if (auth.username === 'user' && auth.validatePassword?.('secret-pass-123'))
          cb(null, { user: 'user' });
        else cb(new Error('535 bad'));
      },
      onData(stream, _s, cb) {
        stream.resume();
        stream.on('end', () => cb());
      },
      logger: false,
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.server.address() as { port: number }).port;
    const env = { SMTP_USER: 'user', SMTP_PASS: 'secret-pass-123' };
    try {
      const sent = await runCli(
        ['send', '--host', `127.0.0.1:${port}`, '--ca', ca, ...ONE_MESSAGE, '--no-retry', '--timeout', '3'],
        { env },
      );
      expect(sent.code, sent.stderr).toBe(0);
      const checked = await runCli(['check', `127.0.0.1:${port}`, '--ca', ca, '--json', '--timeout', '3'], {
        env,
      });
      const json = JSON.parse(checked.stdout);
      expect(json.steps.find((s: { step: string }) => s.step === 'auth')).toMatchObject({ status: 'pass' });
      expect(checked.code).toBe(0);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
