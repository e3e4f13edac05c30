/**
 * RFC 5321 §4.5.3.2.5 (README: the data-block timeout "times each block, not the whole body"): a
 * body whose blocks come steadily, each well inside `timeouts.dataBlock`, never times out, however
 * short that timeout is set. The writer reported progress at most every 250 ms, so a 300 ms
 * data-block timeout failed a body written every 200 ms. Found by a review of every timer.
 */
import { expect, test } from 'vitest';
import { harness } from '../support/client-harness.js';

async function* steady(blocks: number, everyMs: number): AsyncGenerator<Uint8Array> {
  yield new TextEncoder().encode('Subject: slow\r\n\r\n');
  for (let i = 0; i < blocks; i++) {
    await new Promise((resolve) => setTimeout(resolve, everyMs));
    yield new TextEncoder().encode(`line ${i} ${'x'.repeat(500)}\r\n`);
  }
}

test('a body written every 200 ms goes through under dataBlock: 300', async () => {
  const { client, server } = await harness(
    { capabilities: ['8BITMIME'] },
    { security: 'none', timeouts: { dataBlock: 300 } },
  );
  await client.send({ from: 'a@example.com', to: 'b@example.org', message: steady(8, 200) });
  expect(server.transactions).toHaveLength(1);
});

test('a stalled body still times out under dataBlock: 300 (not-sent, before the dot)', async () => {
  async function* stalls(): AsyncGenerator<Uint8Array> {
    yield new TextEncoder().encode('Subject: slow\r\n\r\n');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    yield new TextEncoder().encode('late\r\n');
  }
  const { client } = await harness(
    { capabilities: ['8BITMIME'] },
    { security: 'none', timeouts: { dataBlock: 300 } },
  );
  await expect(
    client.send({ from: 'a@example.com', to: 'b@example.org', message: stalls() }),
  ).rejects.toMatchObject({
    code: 'SMTP_TIMEOUT',
    phase: 'body',
    outcome: 'not-sent',
  });
});
