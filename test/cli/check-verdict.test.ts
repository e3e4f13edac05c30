/** `check`'s verdict agrees with what `send` does with the same settings. */
import { afterEach, describe, expect, test } from 'vitest';
import { type ScriptedServer, startScriptedServer } from '../support/scripted-server.js';
import { ONE_MESSAGE, runCli } from './cli-harness.js';

const CREDS = { SMTP_USER: 'user', SMTP_PASS: 'secret-pass-123' };
let server: ScriptedServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const target = (s: ScriptedServer) => ['--host', '127.0.0.1', '--port', String(s.port)];
const send = (s: ScriptedServer, security: string, env: Record<string, string> = {}) =>
  runCli(['send', ...target(s), '--security', security, ...ONE_MESSAGE, '--no-retry', '--timeout', '2'], {
    env,
  });
const check = (s: ScriptedServer, security: string, env: Record<string, string> = {}) =>
  runCli(['check', `127.0.0.1:${s.port}`, '--security', security, '--json', '--timeout', '2'], { env });

describe('check agrees with send', () => {
  test('credentials set, STARTTLS not offered, --security starttls-opportunistic: send fails 78, so check must not pass', async () => {
    server = await startScriptedServer(); // no tls: EHLO without STARTTLS
    const sent = await send(server, 'starttls-opportunistic', CREDS);
    expect(sent.code).toBe(78); // AUTH_WITHOUT_TLS
    const checked = await check(server, 'starttls-opportunistic', CREDS);
    const json = JSON.parse(checked.stdout);
    expect({ code: checked.code, ok: json.ok }).toEqual({ code: 78, ok: false });
  });

  test('credentials set, --security none: send fails 78 (no AUTH in plaintext), so check must not pass', async () => {
    server = await startScriptedServer();
    const sent = await send(server, 'none', CREDS);
    expect(sent.code).toBe(78);
    const checked = await check(server, 'none', CREDS);
    const json = JSON.parse(checked.stdout);
    expect({ code: checked.code, ok: json.ok }).toEqual({ code: 78, ok: false });
  });

  test('a server that refuses EHLO (502) but takes HELO: send delivers (RFC 5321 §3.2 fallback), check must not fail with 69', async () => {
    server = await startScriptedServer({ overrides: { EHLO: '502 5.5.2 EHLO not implemented' } });
    const sent = await send(server, 'none');
    expect(sent.code).toBe(0);
    const checked = await check(server, 'none');
    expect(checked.code).toBe(0);
  });
});
