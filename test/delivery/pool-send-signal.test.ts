/**
 * pool.send's `signal` must be an AbortSignal: anything else is refused with a typed usage error
 * naming the field, before the send is queued (it was a TypeError from addEventListener). No
 * signal (undefined, or null as fetch allows) is no signal.
 */
import { describe, expect, it } from 'vitest';
import { SmtpUsageError } from '../../src/errors/smtp-error.js';
import { message, setup } from './pool-fakes.js';

describe('pool.send signal', () => {
  it.each([
    ['an empty object', {}],
    ['an object with only aborted', { aborted: false }],
    ['a string', 'abort'],
    ['a number', 5],
  ])('%s is refused: SMTP_INVALID_ARGUMENT, field signal, nothing sent', async (_name, signal) => {
    const { pool, server } = setup();
    const error = await pool.send({ ...message(1), signal: signal as never }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SmtpUsageError);
    expect(error).toMatchObject({ code: 'SMTP_INVALID_ARGUMENT', field: 'signal', outcome: 'not-sent' });
    expect(server.calls).toHaveLength(0);
    await pool.close();
  });

  it.each([
    ['a real AbortSignal', new AbortController().signal],
    ['null', null],
  ])('%s is taken', async (_name, signal) => {
    const { pool } = setup();
    await expect(pool.send({ ...message(1), signal: signal as never })).resolves.toBeDefined();
    await pool.close();
  });
});
