/**
 * BDAT after an envelope with no accepted recipient (RFC 3030 §2, RFC 5321 §3.3): where the body has
 * not gone yet (lock-step BDAT, or a pipelined stream whose chunks follow the RCPT replies) nothing
 * of it is written: RSET, and the send settles ALL_RECIPIENTS_REJECTED. (A body that rode behind the
 * pipelined envelope is session-chunking.test.ts's.)
 */
import { describe, expect, test } from 'vitest';
import { ErrorCodes } from '../../src/errors/codes.js';
import { EHLO_CHUNKING, EHLO_PIPELINING_CHUNKING, flush, Harness, KNOWN_SIZE } from './harness.js';

describe('every recipient refused before the BDAT body', () => {
  test('lock-step, known size: no BDAT and no body, RSET, ALL_RECIPIENTS_REJECTED', async () => {
    const h = new Harness().ready(EHLO_CHUNKING);
    const sent = h.send(KNOWN_SIZE);
    h.server('250 ok');
    h.server('550 5.1.1 no such user');
    expect(h.lastWrite).toBe('RSET\r\n');
    h.server('250 ok');
    await flush();
    expect(sent.result).toMatchObject({
      ok: false,
      error: { code: ErrorCodes.ALL_RECIPIENTS_REJECTED, outcome: 'rejected' },
    });
    expect(h.writes.some((write) => write.startsWith('BDAT'))).toBe(false);
    expect(h.effects.some((effect) => effect.type === 'writeBody')).toBe(false);
    expect(h.session.idle).toBe(true);
  });

  test('pipelined stream: no chunk and no body, RSET, ALL_RECIPIENTS_REJECTED', async () => {
    const h = new Harness().ready(EHLO_PIPELINING_CHUNKING);
    const sent = h.send({ to: ['b@example.org', 'c@example.org'] });
    h.server('250 ok\n550 5.1.1 no such user\n550 5.1.1 nor this one');
    expect(h.lastWrite).toBe('RSET\r\n');
    h.server('250 ok');
    await flush();
    expect(sent.result).toMatchObject({
      ok: false,
      error: { code: ErrorCodes.ALL_RECIPIENTS_REJECTED, outcome: 'rejected' },
    });
    expect(h.effects.some((effect) => effect.type === 'writeBody')).toBe(false);
  });
});
