/**
 * `simulate --no-sandbox` accepts any sender and recipient: its banner no longer says that only the
 * mailbox simulator is accepted "in the sandbox". Found by a CLI review.
 */
import { expect, test } from 'vitest';
import { startCli } from './cli-harness.js';

test.each([
  [['--no-sandbox'], 'none needed: out of the sandbox any address is accepted'],
  [[], 'only the mailbox simulator is accepted in the sandbox'],
])('simulate %j: the verified line says %s', async (flags, text) => {
  const sim = startCli(['simulate', ...flags]);
  try {
    await sim.firstLine;
    // The banner is written at once, in one go: wait for its verified line.
    for (let i = 0; i < 50 && !sim.stdout().includes('verified:'); i++)
      await new Promise((resolve) => setTimeout(resolve, 100));
    expect(sim.stdout()).toContain(text);
  } finally {
    sim.child.kill('SIGTERM');
    await sim.exited;
  }
});
