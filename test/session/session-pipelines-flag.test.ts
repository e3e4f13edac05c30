/**
 * `Session.pipelines`: whether a transaction started now would be pipelined (RFC 2920), which the
 * pool reads (through the client's `pipelining`) before giving a connection a second send. True only
 * once ready after an EHLO offering PIPELINING, with the option on, and until the session ends.
 */
import { describe, expect, test } from 'vitest';
import { EHLO_PLAIN, Harness } from './harness.js';

const NO_PIPELINING = '250-mx.example\n250-8BITMIME\n250 SIZE 1000';

describe('Session.pipelines', () => {
  test('false before the EHLO reply, true once ready with PIPELINING, false once ended', () => {
    const h = new Harness();
    expect(h.session.pipelines).toBe(false);
    h.ready(EHLO_PLAIN);
    expect(h.session.pipelines).toBe(true);
    h.session.closed();
    expect(h.session.pipelines).toBe(false);
  });

  test('false when the server does not offer PIPELINING', () => {
    expect(new Harness().ready(NO_PIPELINING).session.pipelines).toBe(false);
  });

  test('false with the pipelining option off, whatever the server offers', () => {
    expect(new Harness({ pipelining: false }).ready(EHLO_PLAIN).session.pipelines).toBe(false);
  });

  test('stays true during a pipelined transaction', () => {
    const h = new Harness().ready(EHLO_PLAIN);
    void h.send();
    expect(h.session.pipelines).toBe(true);
  });
});
