import { mkdtemp, writeFile } from 'node:fs/promises';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CHECK_JSON } from '../../src/cli/json-shapes.js';
import { type ScriptedServer, startScriptedServer } from '../support/scripted-server.js';
import { type TlsFixtures, tlsFixtures } from '../support/tls-fixtures.js';
import { runCli, startCli } from './cli-harness.js';
import { shapeProblems } from './json-shape-check.js';

interface Step {
  step: string;
  status: string;
  summary: string;
  advice: string[];
  exitCode?: number;
}
interface CheckJson {
  ok: boolean;
  exitCode: number;
  steps: Step[];
}

const USER = 'AKIAEXAMPLE';
const PASS = 'BMXhUYlu5Z3gSXVQORxlVa7XPaz91aGWdfHxvkOZdWZ2';
let fixtures: TlsFixtures;
let caFile: string;
let starttls: ScriptedServer;
let implicit: ScriptedServer;
let plaintext: Server;

/** A bare plaintext SMTP greeter that tolerates the TLS ClientHello and reset an implicit-TLS probe sends. */
async function startPlaintextGreeter(): Promise<Server> {
  const server = createServer((socket) => {
    socket.on('error', () => {});
    socket.write('220 plain.example ESMTP\r\n');
    socket.on('data', () => socket.end('500 5.5.1 Unrecognized command\r\n'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

const portOf = (server: Server): number => (server.address() as { port: number }).port;

beforeAll(async () => {
  fixtures = await tlsFixtures();
  caFile = join(await mkdtemp(join(tmpdir(), 'cli-check-')), 'ca.pem');
  await writeFile(caFile, fixtures.ca.cert);
  starttls = await startScriptedServer({ tls: fixtures.server, credentials: { user: USER, pass: PASS } });
  implicit = await startScriptedServer({ tls: fixtures.server, implicitTls: true });
  plaintext = await startPlaintextGreeter();
});

afterAll(async () => {
  await Promise.all([starttls.close(), implicit.close()]);
  await new Promise((resolve) => plaintext.close(resolve));
});

async function check(args: string[], env: Record<string, string> = {}) {
  const run = await runCli(['check', ...args, '--json', '--timeout', '1'], { env });
  const json = JSON.parse(run.stdout) as CheckJson;
  expect(shapeProblems(json, CHECK_JSON)).toEqual([]);
  return { code: run.code, json, stderr: run.stderr };
}

describe('smtp-machine check', () => {
  test('a good STARTTLS port: every step passes, AUTH included', async () => {
    const { code, json } = await check(
      [`127.0.0.1:${starttls.port}`, '--ca', caFile, '--security', 'starttls'],
      {
        SMTP_USER: USER,
        SMTP_PASS: PASS,
      },
    );
    expect(json.steps.map((s) => `${s.step}:${s.status}`)).toEqual([
      'dns:pass',
      'tcp:pass',
      'greeting:pass',
      'ehlo:pass',
      'starttls:pass',
      'ehlo-tls:pass',
      'auth:pass',
      'quit:pass',
    ]);
    expect(code).toBe(0);
    expect(json.ok).toBe(true);
  });

  test('a good implicit-TLS port', async () => {
    const { code, json } = await check([
      `127.0.0.1:${implicit.port}`,
      '--ca',
      caFile,
      '--security',
      'implicit',
    ]);
    expect(code).toBe(0);
    expect(json.steps.map((s) => s.step)).toEqual(['dns', 'tcp', 'tls', 'greeting', 'ehlo', 'auth', 'quit']);
    expect(json.steps.find((s) => s.step === 'auth')?.status).toBe('skip');
  });

  test('implicit-TLS port probed as STARTTLS: the silent server is recognised, fix = --security implicit', async () => {
    const { code, json } = await check([
      `127.0.0.1:${implicit.port}`,
      '--ca',
      caFile,
      '--security',
      'starttls',
    ]);
    expect(code).toBe(78);
    const failed = json.steps.find((s) => s.status === 'fail');
    expect(failed?.step).toBe('tls-mode');
    expect(failed?.summary).toMatch(/implicit TLS/);
    expect(failed?.advice.join(' ')).toContain('--security implicit');
  });

  test('implicit-TLS port that closes a silent connection before --timeout (as SES does after ~10 s): still recognised', async () => {
    // Gives up on a connection that starts no handshake within 300 ms, long before the 5 s timeout.
    const server = createTlsServer({ ...fixtures.server, handshakeTimeout: 300 });
    server.on('tlsClientError', (_error, socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      const target = [`127.0.0.1:${port}`, '--ca', caFile, '--security', 'starttls', '--timeout', '5'];
      const run = await runCli(['check', ...target, '--json']);
      const json = JSON.parse(run.stdout) as CheckJson;
      expect(run.code).toBe(78);
      const failed = json.steps.find((s) => s.status === 'fail');
      expect(failed?.step).toBe('tls-mode');
      expect(failed?.advice.join(' ')).toContain('--security implicit');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test('STARTTLS port probed as implicit TLS: the plaintext greeting is recognised, fix = --security starttls', async () => {
    const { code, json } = await check([
      `127.0.0.1:${portOf(plaintext)}`,
      '--ca',
      caFile,
      '--security',
      'implicit',
    ]);
    expect(code).toBe(78);
    const failed = json.steps.find((s) => s.status === 'fail');
    expect(failed?.step).toBe('tls-mode');
    expect(failed?.summary).toMatch(/plaintext/);
    expect(failed?.advice.join(' ')).toContain('--security starttls');
  });

  test('untrusted certificate → 78 with the --ca fix; refused port → 69', async () => {
    const untrusted = await check([`127.0.0.1:${starttls.port}`, '--security', 'starttls']);
    expect(untrusted.code).toBe(78);
    expect(untrusted.json.steps.at(-1)?.advice.join(' ')).toContain('--ca');
    const closed = await startScriptedServer();
    const port = closed.port;
    await closed.close();
    const refused = await check([`127.0.0.1:${port}`]);
    expect(refused.code).toBe(69);
    expect(refused.json.steps.at(-1)?.step).toBe('tcp');
  });

  test('535 → 78 with the secret-key hint when the password has the shape of a secret key', async () => {
    const secretShaped = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    const { code, json } = await check(
      [`127.0.0.1:${starttls.port}`, '--ca', caFile, '--security', 'starttls', '--region', 'eu-west-1'],
      {
        SMTP_USER: USER,
        SMTP_PASS: secretShaped,
      },
    );
    expect(code).toBe(78);
    const auth = json.steps.find((s) => s.step === 'auth');
    expect(auth?.status).toBe('fail');
    expect(auth?.advice.join(' ')).toContain('smtp-machine password --region eu-west-1');
    expect(JSON.stringify(json)).not.toContain(secretShaped);
  });

  test('check presents the same default EHLO name as send (the transport default, RFC 5321 §4.1.4)', async () => {
    const server = await startScriptedServer();
    try {
      const target = ['--host', '127.0.0.1', '--port', String(server.port), '--security', 'none'];
      const checked = await check(target);
      expect(checked.code).toBe(0);
      const message = ['--from', 'a@example.com', '--to', 'b@example.org', '--text', 'x'];
      const sent = await runCli(['send', ...target, ...message]);
      expect(sent.code).toBe(0);
      const ehloLines = server.connections.map((c) => c.commands.find((cmd) => cmd.verb === 'EHLO')?.line);
      expect(ehloLines).toHaveLength(2);
      expect(ehloLines[0]).toMatch(/^EHLO \S+$/);
      expect(ehloLines[1]).toBe(ehloLines[0]);
    } finally {
      await server.close();
    }
  });

  describe('AUTH step', () => {
    /** An SES-style user name (an IAM access key id), as a 535 may echo it back. */
    const KEY_ID = 'AKIAREVIEWUSER000001';
    const target = (server: ScriptedServer) => [
      `127.0.0.1:${server.port}`,
      '--ca',
      caFile,
      '--security',
      'starttls',
    ];

    test('a 535 that echoes the user name is reported without it, in JSON and in text (threats.md §5)', async () => {
      const server = await startScriptedServer({
        tls: fixtures.server,
        overrides: { AUTH: `535 Authentication Credentials Invalid for ${KEY_ID}` },
      });
      const env = { SMTP_USER: KEY_ID, SMTP_PASS: PASS };
      try {
        const { code, json } = await check(target(server), env);
        expect(code).toBe(78);
        const auth = json.steps.at(-1);
        expect(auth).toMatchObject({ step: 'auth', status: 'fail', exitCode: 78 });
        expect(auth?.summary).toBe('535 Authentication Credentials Invalid for [redacted]');
        expect(JSON.stringify(json)).not.toContain(KEY_ID);
        const text = await runCli(['check', ...target(server), '--timeout', '1'], { env });
        expect(text.code).toBe(78);
        expect(text.stdout).toContain('[redacted]');
        expect(text.stdout + text.stderr).not.toContain(KEY_ID);
      } finally {
        await server.close();
      }
    });

    test('send scrubs the same echo (the behaviour check now matches)', async () => {
      const server = await startScriptedServer({
        tls: fixtures.server,
        overrides: { AUTH: `535 Authentication Credentials Invalid for ${KEY_ID}` },
      });
      try {
        const run = await runCli(
          [
            'send',
            '--host',
            '127.0.0.1',
            '--port',
            String(server.port),
            '--ca',
            caFile,
            '--security',
            'starttls',
            '--from',
            'a@example.com',
            '--to',
            'b@example.org',
            '--text',
            'x',
            '--json',
            '--no-retry',
          ],
          { env: { SMTP_USER: KEY_ID, SMTP_PASS: PASS } },
        );
        expect(run.code).toBe(78);
        expect(run.stdout + run.stderr).not.toContain(KEY_ID);
      } finally {
        await server.close();
      }
    });

    test('an AUTH that times out is a temporary failure (75, as for EHLO and STARTTLS), not configuration (78)', async () => {
      const server = await startScriptedServer({ tls: fixtures.server, overrides: { AUTH: null } });
      try {
        const { code, json } = await check(target(server), { SMTP_USER: KEY_ID, SMTP_PASS: PASS });
        expect(json.steps.at(-1)).toMatchObject({ step: 'auth', status: 'fail', exitCode: 75 });
        expect(code).toBe(75);
      } finally {
        await server.close();
      }
    });

    test('a connection closed during AUTH is a temporary failure (75)', async () => {
      const server = await startScriptedServer({
        tls: fixtures.server,
        overrides: {
          AUTH: (_line, connection) => {
            connection.close();
            return null;
          },
        },
      });
      try {
        const { code, json } = await check(target(server), { SMTP_USER: KEY_ID, SMTP_PASS: PASS });
        expect(json.steps.at(-1)).toMatchObject({ step: 'auth', status: 'fail', exitCode: 75 });
        expect(code).toBe(75);
      } finally {
        await server.close();
      }
    });
  });

  describe('--security starttls-opportunistic, STARTTLS refused (RFC 3207 §4.1)', () => {
    /** Offers STARTTLS but has no certificate: answers 454 to it (or `starttlsReply`). */
    async function refusingServer(starttlsReply?: string): Promise<ScriptedServer> {
      return startScriptedServer({
        capabilities: ['STARTTLS', 'AUTH PLAIN LOGIN', 'ENHANCEDSTATUSCODES'],
        ...(starttlsReply === undefined ? {} : { overrides: { STARTTLS: starttlsReply } }),
      });
    }
    const target = (server: ScriptedServer) => [
      '--host',
      '127.0.0.1',
      '--port',
      String(server.port),
      '--security',
      'starttls-opportunistic',
    ];
    const verbsOf = (server: ScriptedServer) => server.connections[0]?.commands.map((c) => c.verb);

    test('without credentials: a warning, and the check goes on in plaintext (exit 0)', async () => {
      const server = await refusingServer();
      try {
        const { code, json } = await check(target(server));
        const starttls = json.steps.find((s) => s.step === 'starttls');
        expect(starttls?.status).toBe('warn');
        expect(starttls?.summary).toMatch(/^refused \(454 .*\): continuing in plaintext$/);
        expect(json.steps.map((s) => s.step)).toEqual([
          'dns',
          'tcp',
          'greeting',
          'ehlo',
          'starttls',
          'auth',
          'quit',
        ]);
        expect(json.steps.filter((s) => s.status === 'fail')).toEqual([]);
        expect(code).toBe(0);
        expect(json.ok).toBe(true);
        expect(verbsOf(server)).toEqual(['EHLO', 'STARTTLS', 'QUIT']);
      } finally {
        await server.close();
      }
    });

    test('with credentials: still a failure, and no AUTH in plaintext', async () => {
      const server = await refusingServer();
      try {
        const { code, json } = await check(target(server), { SMTP_USER: USER, SMTP_PASS: PASS });
        expect(json.steps.at(-1)).toMatchObject({ step: 'starttls', status: 'fail' });
        expect(json.steps.at(-1)?.advice.join(' ')).toMatch(/credentials are set/);
        expect(code).toBe(75);
        expect(json.ok).toBe(false);
        expect(verbsOf(server)).not.toContain('AUTH');
      } finally {
        await server.close();
      }
    });

    test('a 421 (the server is closing) is a failure even without credentials', async () => {
      const server = await refusingServer('421 4.3.2 Service shutting down');
      try {
        const { code, json } = await check(target(server));
        expect(json.steps.at(-1)).toMatchObject({ step: 'starttls', status: 'fail' });
        expect(code).toBe(75);
      } finally {
        await server.close();
      }
    });
  });

  test('human output lists the steps', async () => {
    const run = await runCli([
      'check',
      `127.0.0.1:${implicit.port}`,
      '--ca',
      caFile,
      '--security',
      'implicit',
    ]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/\[ ok \] tls/);
    expect(run.stdout).toContain('All checks passed.');
  });

  test('SIGINT while waiting for a greeting: stops at once, closes its socket, reports the interruption (75)', async () => {
    const accepted: Socket[] = [];
    const silent = createServer((socket) => {
      socket.on('error', () => {});
      accepted.push(socket);
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const cli = startCli([
        'check',
        `127.0.0.1:${portOf(silent)}`,
        '--security',
        'starttls',
        '--timeout',
        '60',
        '--json',
      ]);
      for (let waited = 0; accepted.length === 0; waited += 20) {
        if (waited > 10_000) throw new Error(`check never connected: ${cli.stderr()}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const socketClosed = new Promise<void>((resolve) => accepted[0]?.once('close', () => resolve()));
      const interruptedAt = performance.now();
      cli.child.kill('SIGINT');
      const exit = await cli.exited;
      expect(performance.now() - interruptedAt).toBeLessThan(3_000);
      expect(exit.code).toBe(75);
      const json = JSON.parse(await cli.firstLine) as CheckJson;
      expect(shapeProblems(json, CHECK_JSON)).toEqual([]);
      expect(json.ok).toBe(false);
      expect(json.steps.map((s) => s.step)).toEqual(['dns', 'tcp', 'interrupted']);
      expect(json.steps.at(-1)?.summary).toMatch(/during greeting.*SIGINT/);
      await socketClosed;
    } finally {
      await new Promise((resolve) => silent.close(resolve));
    }
  }, 20_000);
});
