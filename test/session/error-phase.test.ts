/**
 * The phase an error names, and the phase the session reports, is where the session stood (the
 * machine's PHASE_OF_STATE and each transition's own phase): the reply classification depends on it
 * (RFC 5321 §4.2.5: a 5xx to DATA is DATA_REJECTED, not a recipient refusal), and spec/error-codes.md
 * gives the TLS handshake its own phase, 'tls'.
 */
import { describe, expect, test } from 'vitest';
import { ErrorCodes } from '../../src/errors/codes.js';
import { PHASE_OF_STATE, sessionMachine } from '../../src/session/session-machine.js';
import { DEFAULT_TIMEOUTS } from '../../src/session/timeouts.js';
import { flush, Harness } from './harness.js';

const LOCKSTEP = '250-mx.example\n250 8BITMIME';
const CHUNKING = '250-mx.example\n250-PIPELINING\n250-CHUNKING\n250 SIZE 1000';

const endError = (h: Harness) =>
  h.session.whenReady.then(
    () => undefined,
    (error: unknown) => error,
  );

describe('the phase an error names', () => {
  test('every state of the machine has its phase (a missing one would read as closed: no scrubbing after AUTH)', () => {
    expect(Object.keys(sessionMachine.root.states).filter((state) => !(state in PHASE_OF_STATE))).toEqual([]);
  });

  test('the single dot after a 354 to a refused envelope waits in phase data-end', () => {
    const h = new Harness().ready('250-mx.example\n250 PIPELINING');
    h.send();
    h.server('250 ok\n550 no\n354 go ahead anyway');
    expect(h.session.state).toBe('loneDot');
    expect(h.session.phase).toBe('data-end');
  });

  test('DATA refused with 554 (lock-step) → DATA_REJECTED in phase data, settled after RSET', async () => {
    const h = new Harness().ready(LOCKSTEP);
    const sent = h.send();
    h.server('250 ok').server('250 ok');
    expect(h.lastWrite).toBe('DATA\r\n');
    h.server('554 5.5.1 no valid recipients');
    expect(h.lastWrite).toBe('RSET\r\n');
    h.server('250 ok');
    await flush();
    expect(sent.result).toMatchObject({
      ok: false,
      error: { code: ErrorCodes.DATA_REJECTED, phase: 'data', outcome: 'rejected' },
    });
  });

  test('BDAT: a middle chunk refused once LAST is written names phase data-end, where its reply came', async () => {
    const h = new Harness().ready(CHUNKING);
    const sent = h.send();
    h.server('250 ok\n250 ok');
    h.session.bodyChunk(10, false);
    h.session.bodyChunk(5, true);
    h.session.bodyFinished();
    h.server('554 5.6.0 chunk refused');
    h.server('503 5.5.1 no transaction');
    expect(h.lastWrite).toBe('RSET\r\n');
    h.server('250 ok');
    await flush();
    expect(sent.result).toMatchObject({
      ok: false,
      error: { code: ErrorCodes.MESSAGE_REJECTED, phase: 'data-end', reply: { code: 554 } },
    });
  });

  test('STARTTLS required but missing from the EHLO reply → TLS_REQUIRED in phase ehlo', async () => {
    const h = new Harness({ security: 'starttls' }).connect().server('250-mx\n250 8BITMIME');
    expect(await endError(h)).toMatchObject({ code: ErrorCodes.TLS_REQUIRED, phase: 'ehlo' });
  });

  test('a TLS handshake that never ends times out in phase tls (the command timeout)', async () => {
    const h = new Harness({ security: 'starttls' }).connect().server('250-mx\n250 STARTTLS').server('220 go');
    expect(h.session.phase).toBe('tls');
    h.clock.increment(DEFAULT_TIMEOUTS.command);
    expect(await endError(h)).toMatchObject({ code: ErrorCodes.TIMEOUT, phase: 'tls' });
    expect(h.closed).toBe(true);
  });

  test('BDAT: a stream whose next chunk never comes times out in phase body (the dataBlock timeout)', async () => {
    const h = new Harness().ready(CHUNKING);
    const sent = h.send();
    h.server('250 ok\n250 ok');
    h.session.bodyChunk(10, false);
    h.clock.increment(DEFAULT_TIMEOUTS.dataBlock);
    await flush();
    expect(sent.result).toMatchObject({
      ok: false,
      error: { code: ErrorCodes.TIMEOUT, phase: 'body', outcome: 'not-sent' },
    });
  });

  test('a close before connected() is a failed dial in phase connect (dial-failed.test.ts)', async () => {
    const h = new Harness();
    h.session.closed();
    expect(await endError(h)).toMatchObject({ code: ErrorCodes.CONNECTION_FAILED, phase: 'connect' });
  });
});

describe('the phase the session reports', () => {
  test('BDAT: body while chunks stream, data-end once LAST is written', () => {
    const h = new Harness().ready(CHUNKING);
    h.send();
    h.server('250 ok\n250 ok');
    expect(h.session.state).toBe('bdat');
    expect(h.session.phase).toBe('body');
    h.session.bodyChunk(5, true);
    h.session.bodyFinished();
    expect(h.session.state).toBe('bdatEnd');
    expect(h.session.phase).toBe('data-end');
    expect(h.session.toJSON()).toMatchObject({ phase: 'data-end' });
  });

  test('after a failure: closed, and a send is refused in phase closed', async () => {
    const h = new Harness().ready(LOCKSTEP);
    h.session.closed();
    expect(h.session.state).toBe('failed');
    expect(h.session.phase).toBe('closed');
    await expect(
      h.session.send({ from: 'a@example.com', to: ['b@example.org'], body: 'x' }),
    ).rejects.toMatchObject({ code: ErrorCodes.CONNECTION_CLOSED, phase: 'closed' });
  });
});
