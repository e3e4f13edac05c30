/**
 * A large body of known size rides with the pipelined envelope as one `BDAT n LAST` (RFC 3030 §4.2,
 * RFC 2920): its bytes are written under back-pressure, so the MAIL and RCPT replies can come while
 * the chunk is still going out. Nothing may be written until its last octet is: another `BDAT n LAST`
 * or an RSET would land inside the chunk, and the server would take body text as commands. An 8 MB
 * body over loopback is enough for the replies to overtake it (every run, before the fix).
 */
import { expect, test } from 'vitest';
import { harness } from '../support/client-harness.js';

const CAPABILITIES = ['PIPELINING', '8BITMIME', 'CHUNKING', 'SIZE 20000000'];
const LINE = `${'x'.repeat(98)}\r\n`;
const BODY_LINES = 80_000;
const message = (tail = '') => `Subject: big\r\n\r\n${LINE.repeat(BODY_LINES)}${tail}`;
/** What the server parsed as commands after the chunk's BDAT (body text would show up here). */
const commandsAfterBdat = (lines: readonly string[]) =>
  lines.slice(lines.findIndex((l) => l.startsWith('BDAT')) + 1);

test('accepted: one BDAT, the whole body delivered as it was, no body line taken as a command', async () => {
  const { server, client } = await harness(
    { capabilities: CAPABILITIES, sizeLimit: 20_000_000 },
    { security: 'none' },
  );
  const body = message();
  const result = await client.send({ from: 'a@example.test', to: ['b@example.test'], message: body });
  expect(result.reply.code).toBe(250);
  const lines = server.connections[0]!.commands.map((c) => c.line);
  expect(lines.filter((l) => l.startsWith('BDAT'))).toHaveLength(1);
  expect(commandsAfterBdat(lines)).toEqual([]);
  expect(server.transactions).toHaveLength(1);
  expect(server.transactions[0]!.content.toString('latin1')).toBe(body);
  await client.close();
}, 20_000);

test('every recipient refused: RSET only after the chunk is answered, no body line taken as a command', async () => {
  const { server, client } = await harness(
    { capabilities: CAPABILITIES, sizeLimit: 20_000_000, overrides: { RCPT: '550 5.1.1 no such user' } },
    { security: 'none' },
  );
  const sent = client.send({
    from: 'a@example.test',
    to: ['b@example.test'],
    message: message('NOOP smuggled\r\n'),
  });
  await expect(sent).rejects.toMatchObject({ code: 'SMTP_ALL_RECIPIENTS_REJECTED', outcome: 'rejected' });
  await client.close();
  const lines = server.connections[0]!.commands.map((c) => c.line);
  expect(commandsAfterBdat(lines).filter((l) => l !== 'QUIT')).toEqual(['RSET']);
}, 20_000);
