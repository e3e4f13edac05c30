/**
 * A recipient refused beside accepted ones carries its own code: SMTP_RECIPIENT_REJECTED for a 5xx
 * no rule names, not SMTP_ALL_RECIPIENTS_REJECTED (the code of a send whose every recipient was
 * refused), which would make a partly delivered message count as a failed one by code.
 */
import { describe, expect, it } from 'vitest';
import { classifyRecipientRefusal } from '../../src/errors/classify.js';
import { ErrorCodes } from '../../src/errors/codes.js';
import { SES_PROFILE } from '../../src/errors/profiles/ses.js';
import { message, setup } from './pool-fakes.js';

describe('the code of one refused recipient', () => {
  it('a pool: 550 to one of two → delivered, the refusal SMTP_RECIPIENT_REJECTED', async () => {
    const { pool, clock } = setup(() => ({
      kind: 'ok',
      rejected: [{ recipient: 'bad@example.test', code: 550, text: '5.1.1 no such user' }],
    }));
    const [result] = await Promise.all([
      pool.send(message(1, ['ok@example.test', 'bad@example.test'])),
      clock.advanceAsync(10),
    ]);
    expect(result.accepted).toEqual(['ok@example.test']);
    expect(result.rejected).toMatchObject([
      { recipient: 'bad@example.test', code: ErrorCodes.RECIPIENT_REJECTED, outcome: 'rejected' },
    ]);
  });

  it.each([
    [550, '5.1.1 no such user', ErrorCodes.RECIPIENT_REJECTED, 'rejected'],
    [553, 'mailbox name not allowed', ErrorCodes.RECIPIENT_REJECTED, 'rejected'],
    [452, '4.5.3 too many recipients', ErrorCodes.TOO_MANY_RECIPIENTS, 'not-sent'],
    [552, '5.5.3 too many recipients', ErrorCodes.TOO_MANY_RECIPIENTS, 'not-sent'],
    [450, 'mailbox busy', ErrorCodes.TRANSIENT_FAILURE, 'not-sent'],
  ] as const)('%i %s → %s (%s)', (code, text, errorCode, outcome) => {
    expect(classifyRecipientRefusal({ code, lines: [text] })).toMatchObject({ code: errorCode, outcome });
  });

  it("a profile's rule keeps its code (SES: an unverified address)", () => {
    const reply = { code: 554, lines: ['Message rejected: Email address is not verified.'] };
    expect(classifyRecipientRefusal(reply, SES_PROFILE).code).toBe(ErrorCodes.MESSAGE_REJECTED);
  });
});
