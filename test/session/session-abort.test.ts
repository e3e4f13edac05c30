import { describe, expect, test } from 'vitest';
import { ErrorCodes } from '../../src/errors/codes.js';
import { flush, Harness } from './harness.js';

const LOCKSTEP = '250-mx.example\n250 8BITMIME';

describe('Session abort and quit', () => {
  test('aborted before send(): rejects ABORTED, nothing written', async () => {
    const h = new Harness().ready(LOCKSTEP);
    const controller = new AbortController();
    controller.abort();
    const sent = h.send({}, controller.signal);
    await flush();
    expect(sent.result).toMatchObject({
      ok: false,
      error: { code: ErrorCodes.ABORTED, outcome: 'not-sent' },
    });
    expect(h.writes).toHaveLength(1);
    expect(h.session.idle).toBe(true);
  });

  test('a signal that is not an AbortSignal: INVALID_ARGUMENT naming it, nothing written', async () => {
    const h = new Harness().ready(LOCKSTEP);
    const sent = h.send({}, { aborted: false } as AbortSignal);
    await flush();
    expect(sent.result).toMatchObject({
      ok: false,
      error: { code: ErrorCodes.INVALID_ARGUMENT, field: 'signal', outcome: 'not-sent' },
    });
    expect(h.writes).toHaveLength(1);
    expect(h.session.idle).toBe(true);
  });

  test.each([
    ['mail', (h: Harness) => h],
    ['rcpt', (h: Harness) => h.server('250 ok')],
    ['data', (h: Harness) => h.server('250 ok').server('250 ok')],
    ['body', (h: Harness) => h.server('250 ok').server('250 ok').server('354 go')],
  ])('aborted while waiting in %s: close (no dot), ABORTED not-sent', async (phase, drive) => {
    const h = new Harness().ready(LOCKSTEP);
    const controller = new AbortController();
    const sent = h.send({}, controller.signal);
    drive(h);
    expect(h.session.phase).toBe(phase);
    controller.abort();
    await flush();
    expect(sent.result).toMatchObject({
      ok: false,
      error: { code: ErrorCodes.ABORTED, outcome: 'not-sent', phase },
    });
    expect(h.closed).toBe(true);
    h.session.bodyFinished();
    expect(h.effectsAfterClose).toEqual([]);
  });

  test('aborted in dataEnd: settles at once with outcome unknown, closes', async () => {
    const h = new Harness().ready(LOCKSTEP);
    const controller = new AbortController();
    const sent = h.send({}, controller.signal);
    h.server('250 ok').server('250 ok').server('354 go');
    h.session.bodyFinished();
    controller.abort();
    await flush();
    expect(sent.result).toMatchObject({ ok: false, error: { code: ErrorCodes.ABORTED, outcome: 'unknown' } });
    h.server('250 Ok late');
    await flush();
    expect(sent.result).toMatchObject({ ok: false });
  });

  test("a signal whose removeEventListener throws: its send settles all the same, and the rest of the step's effects run", async () => {
    const h = new Harness().ready();
    const controller = new AbortController();
    const signal = controller.signal;
    // An AbortSignal (it passes validateSignal) with a hostile method of its own.
    Object.defineProperty(signal, 'removeEventListener', {
      value: () => {
        throw new Error('cleanup broke');
      },
    });
    const first = h.send({}, signal);
    const held = h.send();
    expect(() => h.server('421 4.3.2 going away')).not.toThrow();
    await flush();
    expect(first.result).toMatchObject({ ok: false, error: { code: ErrorCodes.SERVICE_UNAVAILABLE } });
    expect(held.result).toMatchObject({ ok: false, error: { outcome: 'not-sent' } });
    expect(h.session.ended).toBe(true);
    await expect(h.session.quit()).resolves.toBeUndefined();
    // Its listener stayed: an abort now reaches a session that has nothing to abort.
    expect(() => controller.abort()).not.toThrow();
  });

  test('abort after settling does nothing (listener removed)', async () => {
    const h = new Harness().ready(LOCKSTEP);
    const controller = new AbortController();
    const sent = h.send({}, controller.signal);
    h.server('250 ok').server('250 ok').server('354 go');
    h.session.bodyFinished();
    h.server('250 ok');
    controller.abort();
    await flush();
    expect(sent.result?.ok).toBe(true);
    expect(h.session.idle).toBe(true);
  });

  test('quit in ready: QUIT, 221, close; resolves', async () => {
    const h = new Harness().ready(LOCKSTEP);
    const quit = h.session.quit();
    expect(h.lastWrite).toBe('QUIT\r\n');
    h.server('221 bye');
    await quit;
    expect(h.closed).toBe(true);
    await expect(h.session.send({ from: '', to: ['b@example.org'], body: '' })).rejects.toMatchObject({
      code: ErrorCodes.CONNECTION_CLOSED,
    });
  });

  test('quit with a silent server: bounded by the command timeout', async () => {
    const h = new Harness({ timeouts: { command: 5000 } }).ready(LOCKSTEP);
    let done = false;
    void h.session.quit().then(() => {
      done = true;
    });
    h.clock.increment(5000);
    await flush();
    expect(done).toBe(true);
    expect(h.closed).toBe(true);
  });

  test('quit before ready: close at once; whenReady rejects CLIENT_CLOSED, named for the phase', async () => {
    const h = new Harness();
    h.session.connected();
    await h.session.quit();
    expect(h.writes).toEqual([]);
    expect(h.closed).toBe(true);
    await expect(h.session.whenReady).rejects.toMatchObject({
      code: ErrorCodes.CLIENT_CLOSED,
      phase: 'greeting',
      outcome: 'not-sent',
    });
  });

  test('quit mid-transaction: close, the send rejects CLIENT_CLOSED', async () => {
    const h = new Harness().ready(LOCKSTEP);
    const sent = h.send();
    await h.session.quit();
    await flush();
    expect(sent.result).toMatchObject({
      ok: false,
      error: { code: ErrorCodes.CLIENT_CLOSED, outcome: 'not-sent' },
    });
  });
});
