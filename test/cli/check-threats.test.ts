/**
 * The threats of threats.md on the `smtp-machine check` path, which talks SMTP through its own probe
 * (src/cli/smtp-probe.ts) rather than the session machine: STARTTLS response injection and stripping
 * (§1), no AUTH without TLS (§1, §5), and no credential a server echoes in a malformed AUTH reply (§5).
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { type ScriptedServer, startScriptedServer } from '../support/scripted-server.js';
import { type TlsFixtures, tlsFixtures } from '../support/tls-fixtures.js';
import { runCli } from './cli-harness.js';

/** `check` over STARTTLS against a scripted server trusting the test CA, JSON output. */
const checkStartTls = (port: number) => [
  'check',
  `127.0.0.1:${port}`,
  '--ca',
  caFile,
  '--security',
  'starttls',
  '--json',
  '--timeout',
  '2',
];

let fixtures: TlsFixtures;
let caFile: string;
beforeAll(async () => {
  fixtures = await tlsFixtures();
  caFile = join(await mkdtemp(join(tmpdir(), 'cli-check-threats-')), 'ca.pem');
  await writeFile(caFile, fixtures.ca.cert);
});

describe('check: check fails closed on STARTTLS response injection', () => {
  test('a 220 with a fake post-TLS EHLO reply behind it: starttls fails, nothing after STARTTLS', async () => {
    const server = await startScriptedServer({
      tls: fixtures.server,
      overrides: { STARTTLS: '220 Go ahead\r\n250-evil.example\r\n250 AUTH PLAIN' },
    });
    try {
      const run = await runCli(checkStartTls(server.port), { env: { SMTP_USER: 'user', SMTP_PASS: 'pass' } });
      const json = JSON.parse(run.stdout) as { steps: { step: string; status: string }[] };
      expect(json.steps.map((s) => `${s.step}:${s.status}`)).toEqual([
        'dns:pass',
        'tcp:pass',
        'greeting:pass',
        'ehlo:pass',
        'starttls:fail',
      ]);
      expect(run.code).toBe(78);
      // Nothing followed STARTTLS: no ClientHello was answered, no EHLO/AUTH went out.
      expect(server.connections[0]!.commands.map((c) => c.verb)).toEqual(['EHLO', 'STARTTLS']);
    } finally {
      await server.close();
    }
  });
});

describe('check: check fails on a stripped STARTTLS when TLS is required', () => {
  test('--security starttls, server without STARTTLS: starttls fails (78), not a warning', async () => {
    const server = await startScriptedServer({ capabilities: ['PIPELINING', 'AUTH PLAIN LOGIN'] });
    try {
      const run = await runCli(
        ['check', `127.0.0.1:${server.port}`, '--security', 'starttls', '--json', '--timeout', '2'],
        {},
      );
      const json = JSON.parse(run.stdout) as { ok: boolean; steps: { step: string; status: string }[] };
      expect(json.steps.find((s) => s.step === 'starttls')?.status).toBe('fail');
      expect(json.ok).toBe(false);
      expect(run.code).toBe(78);
    } finally {
      await server.close();
    }
  });
});

describe('check: check never sends credentials in plaintext', () => {
  for (const security of ['none', 'starttls-opportunistic'] as const) {
    test(`--security ${security}, server without STARTTLS but with AUTH PLAIN: no AUTH written`, async () => {
      const server = await startScriptedServer({ capabilities: ['PIPELINING', 'AUTH PLAIN LOGIN'] });
      try {
        const run = await runCli(
          ['check', `127.0.0.1:${server.port}`, '--security', security, '--json', '--timeout', '2'],
          { env: { SMTP_USER: 'plain-user', SMTP_PASS: 'plain-Secret-Pass' } },
        );
        const json = JSON.parse(run.stdout) as { steps: { step: string; status: string }[] };
        // Refused as send refuses it (SMTP_AUTH_WITHOUT_TLS): the step fails, nothing is sent.
        expect(json.steps.find((s) => s.step === 'auth')?.status).toBe('fail');
        expect(run.code).toBe(78);
        expect(server.connections.flatMap((c) => c.commands.map((x) => x.verb))).not.toContain('AUTH');
        const wire = server.connections.map((c) => c.received().toString('latin1')).join('');
        expect(wire).not.toContain(Buffer.from('\0plain-user\0plain-Secret-Pass').toString('base64'));
      } finally {
        await server.close();
      }
    });
  }
});

async function checkWith(reply: string, user: string): Promise<string> {
  const server: ScriptedServer = await startScriptedServer({
    tls: fixtures.server,
    overrides: { AUTH: reply },
  });
  try {
    const run = await runCli(checkStartTls(server.port), {
      env: { SMTP_USER: user, SMTP_PASS: 'Secret-Pass-123' },
    });
    return run.stdout + run.stderr;
  } finally {
    await server.close();
  }
}

describe('check: check scrubs credentials echoed in a malformed AUTH reply', () => {
  test('a Windows-style DOMAIN\\user echoed in a malformed line never appears (not even JSON-escaped)', async () => {
    const user = 'CORP\\svc-mailer';
    const out = await checkWith(`5x5 Authentication failed for ${user}`, user);
    expect(out).not.toContain('svc-mailer');
  });

  test('an access key id echoed across the 100-octet quote limit never appears, not even in part', async () => {
    const user = 'AKIAREVIEWUSER000001';
    const pad = 'x'.repeat(100 - 4 - 'AKIAREVIEW'.length - 4);
    const out = await checkWith(`5x5 ${pad}for ${user}`, user);
    expect(out).not.toContain('AKIAREVIEW');
  });
});

describe('check: a server cannot add lines to the report', () => {
  test('a multi-line greeting is one summary line, so it cannot print a forged step', async () => {
    const server = await startScriptedServer({
      overrides: {
        GREETING:
          '220-scripted.test hi\r\n220-[ ok ] auth      authenticated as admin\r\n220 All checks passed.',
      },
    });
    try {
      const run = await runCli(['check', `127.0.0.1:${server.port}`, '--security', 'none', '--timeout', '2']);
      expect(run.stdout.split('\n').some((l) => l.startsWith('[ ok ] auth'))).toBe(false);
      expect(run.stdout).toContain(
        '220 scripted.test hi [ ok ] auth      authenticated as admin All checks passed.',
      );
    } finally {
      await server.close();
    }
  });
});
