/**
 * A message the server accepted for some recipients and refused for others exits 69; its JSON must
 * not say `ok: true` beside that exit status (a script reading `.ok` would take it as all done).
 * `ok` is true exactly when the exit status is 0.
 */
import { expect, test } from 'vitest';
import { SEND_JSON } from '../../src/cli/json-shapes.js';
import { startScriptedServer } from '../support/scripted-server.js';
import { runCli } from './cli-harness.js';
import { shapeProblems } from './json-shape-check.js';

test('send --json: delivered to one recipient, refused for the other → ok: false, exit 69', async () => {
  const server = await startScriptedServer({
    overrides: {
      RCPT: (line, _connection, fallback) => (line.includes('bad@') ? '550 5.1.1 no such user' : fallback()),
    },
  });
  try {
    const base = [
      'send',
      '--host',
      `127.0.0.1:${server.port}`,
      '--security',
      'none',
      '--from',
      'a@example.com',
    ];
    const run = await runCli([
      ...base,
      '--to',
      'ok@example.org',
      '--to',
      'bad@example.org',
      '--text',
      'x',
      '--json',
    ]);
    expect(run.code).toBe(69);
    const result = JSON.parse(run.stdout);
    expect(shapeProblems(result, SEND_JSON)).toEqual([]);
    expect(result).toMatchObject({
      ok: false,
      status: 'delivered',
      exitCode: 69,
      accepted: ['ok@example.org'],
      rejectedRecipients: [
        {
          recipient: 'bad@example.org',
          code: 550,
          outcome: 'rejected',
          errorCode: 'SMTP_RECIPIENT_REJECTED',
        },
      ],
    });
    const whole = await runCli([...base, '--to', 'ok@example.org', '--text', 'x', '--json']);
    expect(whole.code).toBe(0);
    expect(JSON.parse(whole.stdout)).toMatchObject({ ok: true, status: 'delivered', exitCode: 0 });
  } finally {
    await server.close();
  }
});
