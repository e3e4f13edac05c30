import { describe, expect, it } from 'vitest';
import { type DeliveryResult, deliverAll, type Outgoing } from '../../src/cli/deliverer.js';
import { GENERIC_PROFILE } from '../../src/errors/classify.js';
import { ErrorCodes } from '../../src/errors/codes.js';

describe('deliverAll', () => {
  it('a failure that is not an SmtpError is reported as SMTP_INTERNAL_ERROR (a bug), not a protocol error', async () => {
    // A message whose recipients cannot even be read: pool.send() rejects with the TypeError itself.
    const broken = {
      id: 1,
      from: 'a@example.test',
      get to(): readonly string[] {
        throw new TypeError('recipients unavailable');
      },
      raw: new Uint8Array([120, 13, 10]),
    } satisfies Outgoing;
    const results: DeliveryResult[] = [];
    await deliverAll(
      [broken],
      // Never connects: the send fails before a connection is needed.
      { client: { host: '127.0.0.1', port: 9 }, profile: GENERIC_PROFILE, retry: false },
      (result) => results.push(result),
    );
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ status: 'unknown', error: { code: ErrorCodes.INTERNAL_ERROR } });
    expect(results[0]?.error?.message).not.toContain('recipients unavailable');
  });
});
