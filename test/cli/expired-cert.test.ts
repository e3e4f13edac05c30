/** An expired certificate (signed by a CA already trusted with --ca) is not fixed by --ca: check's and send's advice say so. */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { startScriptedServer } from '../support/scripted-server.js';
import { tlsFixtures } from '../support/tls-fixtures.js';
import { ONE_MESSAGE, runCli } from './cli-harness.js';

describe('an expired server certificate', () => {
  test('check and send on an expired certificate (CA already trusted via --ca): advice names expiry, not --ca', async () => {
    const fx = await tlsFixtures();
    const ca = join(await mkdtemp(join(tmpdir(), 'rev-')), 'ca.pem');
    await writeFile(ca, fx.ca.cert);
    const server = await startScriptedServer({ tls: fx.expired });
    try {
      const checked = await runCli([
        'check',
        `127.0.0.1:${server.port}`,
        '--security',
        'starttls',
        '--ca',
        ca,
        '--json',
        '--timeout',
        '2',
      ]);
      const step = JSON.parse(checked.stdout).steps.at(-1);
      expect(checked.code).toBe(78);
      expect(step.summary).toMatch(/expired/i);
      expect(step.advice.join('\n')).not.toMatch(/pass --ca/);
      expect(step.advice.join('\n')).toMatch(/operator must renew it/);
      const sent = await runCli([
        'send',
        '--host',
        `127.0.0.1:${server.port}`,
        '--security',
        'starttls',
        '--ca',
        ca,
        ...ONE_MESSAGE,
        '--json',
        '--no-retry',
        '--timeout',
        '2',
      ]);
      const json = JSON.parse(sent.stdout);
      expect(sent.code).toBe(78);
      expect(json.hints.join('\n')).not.toMatch(/pass --ca/);
      expect(json.hints.join('\n')).toMatch(/operator must renew it/);
    } finally {
      await server.close();
    }
  });
});
