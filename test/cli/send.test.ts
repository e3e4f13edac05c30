import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { SEND_JSON } from '../../src/cli/json-shapes.js';
import { type ScriptedServer, startScriptedServer } from '../support/scripted-server.js';
import { tlsFixtures } from '../support/tls-fixtures.js';
import { runCli } from './cli-harness.js';
import { shapeProblems } from './json-shape-check.js';

const USER = 'user@example.com';
const PASS = 'correct horse battery staple';
let dir: string;
let caFile: string;
let server: ScriptedServer;
let implicitServer: ScriptedServer;

beforeAll(async () => {
  const fixtures = await tlsFixtures();
  dir = await mkdtemp(join(tmpdir(), 'cli-send-'));
  caFile = join(dir, 'ca.pem');
  await writeFile(caFile, fixtures.ca.cert);
  server = await startScriptedServer({ tls: fixtures.server, credentials: { user: USER, pass: PASS } });
  implicitServer = await startScriptedServer({ tls: fixtures.server, implicitTls: true });
});

afterAll(async () => {
  await Promise.all([server.close(), implicitServer.close()]);
});

const env = { SMTP_USER: USER, SMTP_PASS: PASS };
/** The smallest message the tests send (text mode, one recipient). */
const MESSAGE = ['--from', 'a@example.com', '--to', 'b@example.org', '--text', 'x'];
const connection = () => [
  '--host',
  '127.0.0.1',
  '--port',
  String(server.port),
  '--ca',
  caFile,
  '--security',
  'starttls',
];

describe('smtp-machine send', () => {
  test('composes from flags, sends over STARTTLS with AUTH; the server receives exactly that message', async () => {
    const before = server.transactions.length;
    const run = await runCli(
      [
        'send',
        ...connection(),
        '--from',
        'Ann <ann@example.com>',
        '--to',
        'bob@example.org',
        '--cc',
        'cy@example.org',
        '--bcc',
        'dee@example.org',
        '--subject',
        'Quarterly',
        '--text',
        'Hello Bob\n.leading dot',
      ],
      { env },
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^delivered/);
    const tx = server.transactions[before];
    expect(tx?.from).toBe('ann@example.com');
    expect(tx?.to).toEqual(['bob@example.org', 'cy@example.org', 'dee@example.org']);
    const content = tx?.content.toString('utf8') ?? '';
    expect(content).toContain('Subject: Quarterly\r\n');
    expect(content).toContain('From: Ann <ann@example.com>\r\n');
    expect(content).not.toMatch(/^Bcc:/im);
    expect(content).toContain('\r\n.leading dot');
    expect(tx?.raw.toString('utf8')).toContain('\r\n..leading dot'); // dot-stuffed on the wire
    const secure = server.connections.at(-1)?.commands.find((c) => c.verb === 'MAIL')?.secure;
    expect(secure).toBe(true);
  });

  test('--json shape; the password appears nowhere', async () => {
    const run = await runCli(
      [
        'send',
        ...connection(),
        '--from',
        'ann@example.com',
        '--to',
        'bob@example.org',
        '--text',
        'x',
        '--json',
      ],
      { env },
    );
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(shapeProblems(result, SEND_JSON)).toEqual([]);
    expect(result).toMatchObject({
      ok: true,
      status: 'delivered',
      exitCode: 0,
      attempts: 1,
      accepted: ['bob@example.org'],
    });
    expect(result.reply).toMatchObject({ code: 250 });
    expect(run.stdout + run.stderr).not.toContain(PASS);
  });

  test('--eml sends the file byte for byte with the envelope from flags', async () => {
    const eml = join(dir, 'message.eml');
    const raw = 'From: a@example.com\r\nTo: b@example.org\r\nSubject: raw\r\n\r\nBody line\r\n';
    await writeFile(eml, raw);
    const before = server.transactions.length;
    const run = await runCli(
      ['send', ...connection(), '--eml', eml, '--from', 'bounce@example.com', '--to', 'b@example.org'],
      { env },
    );
    expect(run.code).toBe(0);
    const tx = server.transactions[before];
    expect(tx?.from).toBe('bounce@example.com');
    expect(tx?.content.toString('utf8')).toBe(raw);
  });

  test('--eml --binary: the file unchanged as BODY=BINARYMIME where offered; refused before MAIL (69) where not; usage 64 without --eml', async () => {
    const fixtures = await tlsFixtures();
    const binaryServer = await startScriptedServer({
      tls: fixtures.server,
      credentials: { user: USER, pass: PASS },
      capabilities: ['PIPELINING', '8BITMIME', 'STARTTLS', 'AUTH PLAIN LOGIN', 'CHUNKING', 'BINARYMIME'],
    });
    try {
      const eml = join(dir, 'binary.eml');
      const raw = Buffer.from('Subject: bin\n\n\u0000bare LF\nand CR\r.\n');
      await writeFile(eml, raw);
      const args = ['--eml', eml, '--binary', '--from', 'a@example.com', '--to', 'b@example.org'];
      const port = ['--port', String(binaryServer.port)];
      const sent = await runCli(['send', ...connection(), ...port, ...args], { env });
      expect(sent.code).toBe(0);
      expect(binaryServer.transactions[0]?.mailParams).toContain('BODY=BINARYMIME');
      expect(Buffer.compare(binaryServer.transactions[0]!.content, raw)).toBe(0);
      // The default server offers neither CHUNKING nor BINARYMIME.
      const before = server.transactions.length;
      const refused = await runCli(['send', ...connection(), ...args], { env });
      expect(refused.code).toBe(69);
      expect(refused.stderr).toContain('a binary body needs CHUNKING and BINARYMIME');
      expect(server.transactions.length).toBe(before);
      const usage = await runCli(['send', ...connection(), ...MESSAGE, '--binary'], { env });
      expect(usage.code).toBe(64);
    } finally {
      await binaryServer.close();
    }
  });

  test('a server cannot write control characters to the terminal: its replies are escaped in the error and the -v transcript', async () => {
    server.override('MAIL', '550 5.7.1 denied\r\x1b[1A\x1b[2K250 2.0.0 delivered');
    try {
      const run = await runCli(['send', ...connection(), '-v', ...MESSAGE], { env });
      expect(run.code).toBe(69);
      expect(run.stderr).toContain('S: 550 5.7.1 denied\\x0d\\x1b[1A\\x1b[2K250 2.0.0 delivered');
      expect(run.stderr).toContain('rejected: mail: server refused: 550 5.7.1 denied\\x0d\\x1b');
      expect(run.stderr).not.toMatch(/[\r\x1b]/);
    } finally {
      server.override('MAIL', undefined);
    }
  });

  test('a multi-line reply adds no line of its own to the human output (its lines are joined by spaces)', async () => {
    server.override('DOT', '250-2.0.0 Ok: queued as X\r\n250 error: FORGED LINE');
    try {
      const run = await runCli(['send', ...connection(), ...MESSAGE], { env });
      expect(run.code).toBe(0);
      const lines = `${run.stdout}\n${run.stderr}`.split('\n');
      expect(lines.some((l) => /^(250 )?error: FORGED/.test(l))).toBe(false);
      expect(run.stdout).toContain('250 2.0.0 Ok: queued as X error: FORGED LINE');
    } finally {
      server.override('DOT', undefined);
    }
  });

  test('exit codes: 554 → 69 (not retried), 451 with --no-retry → 75, 535 → 78, missing file → 66', async () => {
    server.override('DOT', '554 5.7.1 Message rejected');
    const before = server.transactions.length;
    const rejected = await runCli(['send', ...connection(), ...MESSAGE], { env });
    expect(rejected.code).toBe(69);
    expect(server.transactions.length - before).toBe(1);
    server.override('DOT', '451 4.3.0 Try later');
    const temporary = await runCli(['send', ...connection(), '--no-retry', ...MESSAGE], { env });
    expect(temporary.code).toBe(75);
    server.override('DOT', undefined);
    const badAuth = await runCli(['send', ...connection(), ...MESSAGE], {
      env: { SMTP_USER: USER, SMTP_PASS: 'wrong' },
    });
    expect(badAuth.code).toBe(78);
    expect(badAuth.stderr).not.toContain('wrong');
    const missing = await runCli(
      [
        'send',
        ...connection(),
        '--eml',
        join(dir, 'nope.eml'),
        '--from',
        'a@example.com',
        '--to',
        'b@example.org',
      ],
      { env },
    );
    expect(missing.code).toBe(66);
  });

  test('451 once, then retried and delivered (--retry-delays)', async () => {
    let refused = 0;
    server.override('DOT', (_line, _connection, fallback) =>
      refused++ === 0 ? '451 4.3.0 Try later' : fallback(),
    );
    const run = await runCli(['send', ...connection(), '--retry-delays', '0.1', ...MESSAGE, '--json'], {
      env,
    });
    server.override('DOT', undefined);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as {
      attempts: number;
      retries: Record<string, number>;
      history: { delayBeforeMs: number; reply?: { code: number }; error?: { code: string } }[];
    };
    expect(shapeProblems(result, SEND_JSON)).toEqual([]);
    expect(result.attempts).toBe(2);
    expect(result.retries).toEqual({ SMTP_TRANSIENT_FAILURE: 1 });
    // The pool's attempt history: the 451, then the --retry-delays wait, then the 250.
    expect(result.history.map((a) => a.reply?.code)).toEqual([451, 250]);
    expect(result.history[1]?.delayBeforeMs).toBe(100);
  });

  test('a bad --client-name is a usage error (64) naming the option, before any connection', async () => {
    const run = await runCli(['send', ...connection(), '--client-name', 'a b', ...MESSAGE], { env });
    expect(run.code).toBe(64);
    expect(run.stderr).toMatch(/clientName|client-name|EHLO/i);
    expect(run.stderr).not.toContain('a b');
  });

  test('--provider ses: more than 50 recipients is refused (69 like other local message refusals, SMTP_TOO_MANY_RECIPIENTS) before connecting', async () => {
    const before = server.connections.length;
    const to = Array.from({ length: 51 }, (_, i) => ['--to', `r${i}@example.org`]).flat();
    const args = ['send', ...connection(), '--provider', 'ses', '--from', 'a@example.com', ...to];
    const run = await runCli([...args, '--text', 'x', '--json'], { env });
    expect(run.code).toBe(69);
    expect(run.stdout).toContain('SMTP_TOO_MANY_RECIPIENTS');
    expect(server.connections.length).toBe(before);
  });

  test('usage errors: no --to, --pass-stdin without SMTP_USER, bad --security', async () => {
    expect((await runCli(['send', ...connection(), '--from', 'a@example.com'])).code).toBe(64);
    expect(
      (
        await runCli(
          ['send', ...connection(), '--pass-stdin', '--from', 'a@example.com', '--to', 'b@example.org'],
          { stdin: 'pw' },
        )
      ).code,
    ).toBe(64);
    expect(
      (
        await runCli([
          'send',
          '--host',
          '127.0.0.1',
          '--security',
          'ssl',
          '--from',
          'a@example.com',
          '--to',
          'b@example.org',
        ])
      ).code,
    ).toBe(64);
  });

  describe('TLS-mode mix-ups suggest `check`', () => {
    test('STARTTLS on an implicit-TLS port: the greeting never comes (75), hint names the check command', async () => {
      const target = ['--host', '127.0.0.1', '--port', String(implicitServer.port), '--ca', caFile];
      const retries = ['--retry-delays', '0.1', '--deadline', '1.5'];
      const run = await runCli([
        'send',
        ...target,
        '--security',
        'starttls',
        '--timeout',
        '1',
        ...retries,
        ...MESSAGE,
      ]);
      expect(run.code).toBe(75);
      // While retrying, each retry note already points at `check`.
      expect(run.stderr).toContain(
        'retrying in 0.1 s (retry: SMTP_TIMEOUT); if it persists, run `smtp-machine check 127.0.0.1:',
      );
      expect(run.stderr).toMatch(/not sent \(temporary failure\)/);
      expect(run.stderr).toContain('TLS-mode mix-up');
      expect(run.stderr).toContain(
        `hint: this looks like a TLS-mode mix-up (implicit TLS vs STARTTLS on port ${implicitServer.port}): ` +
          `run \`smtp-machine check 127.0.0.1:${implicitServer.port} --security starttls --ca ${caFile}\``,
      );
    });

    test('implicit TLS on a STARTTLS port: the handshake fails (78), --json carries the hints', async () => {
      const target = ['--host', '127.0.0.1', '--port', String(server.port), '--ca', caFile];
      const run = await runCli(
        ['send', ...target, '--security', 'implicit', '--json', '--no-retry', ...MESSAGE],
        {
          env,
        },
      );
      expect(run.code).toBe(78);
      const result = JSON.parse(run.stdout) as { ok: boolean; error: { code: string }; hints: string[] };
      expect(shapeProblems(result, SEND_JSON)).toEqual([]);
      expect(result.ok).toBe(false);
      expect(result.error.code).toBe('SMTP_TLS_FAILED');
      expect(result.hints.join('\n')).toContain(
        `smtp-machine check 127.0.0.1:${server.port} --security implicit --ca ${caFile}`,
      );
      expect(result.hints.join('\n')).toContain('TLS-mode mix-up');
    });

    test('a certificate problem is not called a mix-up (the check hint stays)', async () => {
      const target = ['--host', '127.0.0.1', '--port', String(implicitServer.port)];
      const run = await runCli([
        'send',
        ...target,
        '--security',
        'implicit',
        '--json',
        '--no-retry',
        ...MESSAGE,
      ]);
      expect(run.code).toBe(78);
      const result = JSON.parse(run.stdout) as { hints: string[] };
      expect(result.hints.join('\n')).not.toContain('mix-up');
      expect(result.hints.join('\n')).not.toContain('which mode the port speaks');
      expect(result.hints.join('\n')).toContain('pass --ca FILE with the CA certificate that signed');
      expect(result.hints.join('\n')).toContain('smtp-machine check');
    });
  });
});
