/**
 * quit() and then send() from the transcript sink, while the machine is still taking the reply the
 * sink logs: the quit was asked first, so the send is refused at once (SESSION_BUSY, as after a
 * quit() anywhere else) and nothing is written for it. It used to be taken as pending, replayed into
 * the `quit` state that has no use for it, and settled only when the session ended, as a retryable
 * lost connection.
 */
import { expect, test } from 'vitest';
import { ErrorCodes } from '../../src/errors/codes.js';
import { flush, Harness, type Settled } from './harness.js';

const LOCKSTEP = '250-mx.example\n250-8BITMIME\n250 SIZE 1000';
const PIPELINED = '250-mx.example\n250-PIPELINING\n250-8BITMIME\n250 SIZE 1000';

test.each([
  ['lock-step', LOCKSTEP],
  ['pipelined (a next send could be held)', PIPELINED],
])(
  '%s: a send() after quit() inside the sink, as the final reply is logged, is refused at once',
  async (_name, ehlo) => {
    let after: { readonly result: Settled } | undefined;
    let acceptedAfterQuit: boolean | undefined;
    const h: Harness = new Harness({
      onTranscript: (entry) => {
        if (entry.direction !== 'server' || !entry.text.startsWith('250 2.0.0')) return;
        void h.session.quit();
        acceptedAfterQuit = h.session.acceptsSend;
        after = h.send({ to: ['late@example.org'], size: 10, eightBit: false });
      },
    });
    h.ready(ehlo);
    const first = h.send({ size: 10, eightBit: false });
    for (const line of ['250 ok', '250 ok', '354 go']) h.server(line);
    h.session.bodyFinished();
    h.server('250 2.0.0 Ok: queued as A1');
    await flush();
    expect(first.result).toMatchObject({ ok: true, value: { messageId: 'A1' } });
    expect(acceptedAfterQuit).toBe(false);
    expect(after?.result).toMatchObject({ ok: false, error: { code: ErrorCodes.SESSION_BUSY } });
    expect(h.writes.join('')).not.toContain('late@example.org');
    expect(h.writes.at(-1)).toBe('QUIT\r\n');
  },
);

test('after drop() the session takes no send either', async () => {
  const h = new Harness().ready(LOCKSTEP);
  h.session.drop();
  expect(h.session.acceptsSend).toBe(false);
  const late = h.send({ size: 10, eightBit: false });
  await flush();
  expect(late.result).toMatchObject({ ok: false });
  expect(h.writes).toEqual(['EHLO client.example\r\n']);
});
