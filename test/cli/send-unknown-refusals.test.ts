/**
 * A message whose final reply was lost ends 'unknown' (it may have been delivered). What is known
 * of its recipients still is reported: one refused at RCPT got nothing, and says so — in the JSON's
 * `rejectedRecipients` and in the text.
 */
import { describe, expect, test } from 'vitest';
import { SEND_JSON } from '../../src/cli/json-shapes.js';
import { startScriptedServer } from '../support/scripted-server.js';
import { runCli } from './cli-harness.js';
import { shapeProblems } from './json-shape-check.js';

describe('send: unknown outcome with a recipient refused on the way', () => {
  test.each([true, false])(
    '--json %s: the refused recipient is listed as rejected; exit 75',
    async (json) => {
      const server = await startScriptedServer({
        overrides: {
          RCPT: (line, _connection, fallback) =>
            line.includes('bad@') ? '550 5.1.1 no such user' : fallback(),
          // The dot is received, then the connection drops before any reply: the message may be delivered.
          DOT: (_line, connection) => {
            connection.destroy();
            return null;
          },
        },
      });
      try {
        const run = await runCli([
          'send',
          '--host',
          `127.0.0.1:${server.port}`,
          '--security',
          'none',
          '--from',
          'a@example.com',
          '--to',
          'ok@example.org',
          '--to',
          'bad@example.org',
          '--text',
          'x',
          ...(json ? ['--json'] : []),
        ]);
        expect(run.code).toBe(75);
        if (json) {
          const result = JSON.parse(run.stdout);
          expect(shapeProblems(result, SEND_JSON)).toEqual([]);
          expect(result).toMatchObject({
            status: 'unknown',
            rejectedRecipients: [{ recipient: 'bad@example.org', code: 550, outcome: 'rejected' }],
          });
        } else {
          const text = `${run.stdout}${run.stderr}`;
          expect(text).toContain('may have been delivered');
          expect(text).toContain('not delivered to bad@example.org (refused): 550');
        }
        expect(server.transactions).toHaveLength(1); // never sent again
      } finally {
        await server.close();
      }
    },
  );
});
