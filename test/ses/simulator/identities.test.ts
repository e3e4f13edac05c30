import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  isMailboxSimulatorAddress,
  isVerified,
  senderHeaderAddresses,
  unverifiedIdentities,
} from '../../../src/ses/simulator/identities.js';

const label = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/);
const domain = fc.array(label, { minLength: 1, maxLength: 3 }).map((labels) => `${labels.join('.')}.test`);

describe('mailbox simulator', () => {
  it.each([
    'success@simulator.amazonses.com',
    'bounce@simulator.amazonses.com',
    'ooto@simulator.amazonses.com',
    'complaint@simulator.amazonses.com',
    'suppressionlist@simulator.amazonses.com',
    'success+run-42@simulator.amazonses.com',
    'Success@SIMULATOR.amazonses.com',
  ])('accepts %s', (address) => {
    expect(isMailboxSimulatorAddress(address)).toBe(true);
  });

  it.each([
    'other@simulator.amazonses.com',
    'success@amazonses.com',
    'success@x.simulator.amazonses.com',
    'successful@simulator.amazonses.com',
    'success',
  ])('refuses %s', (address) => {
    expect(isMailboxSimulatorAddress(address)).toBe(false);
  });
});

describe('isVerified', () => {
  it('matches addresses exactly (case-insensitively) and domains with their subdomains', () => {
    const ids = ['example.com', 'Friend@Elsewhere.test'];
    expect(isVerified('a@example.com', ids)).toBe(true);
    expect(isVerified('a@mail.EXAMPLE.com', ids)).toBe(true);
    expect(isVerified('friend@elsewhere.test', ids)).toBe(true);
    expect(isVerified('enemy@elsewhere.test', ids)).toBe(false);
    expect(isVerified('a@notexample.com', ids)).toBe(false);
    expect(isVerified('example.com', ids)).toBe(false);
  });

  test.prop([label, domain, label], { numRuns: 300 })(
    'a domain covers its subdomains but not look-alikes that merely end with it',
    (local, verified, prefix) => {
      expect(isVerified(`${local}@${verified}`, [verified])).toBe(true);
      expect(isVerified(`${local}@${prefix}.${verified}`, [verified])).toBe(true);
      expect(isVerified(`${local}@${prefix}${verified}`, [verified])).toBe(false);
    },
  );
});

describe('unverifiedIdentities', () => {
  it('checks senders always once identities are given, recipients only in the sandbox', () => {
    const policy = { sandbox: false, verifiedIdentities: ['example.com'] };
    expect(unverifiedIdentities(['a@example.com'], ['x@y.test'], policy)).toEqual([]);
    expect(unverifiedIdentities(['a@z.test'], ['x@y.test'], policy)).toEqual(['a@z.test']);
    expect(unverifiedIdentities(['a@example.com'], ['x@y.test'], { ...policy, sandbox: true })).toEqual([
      'x@y.test',
    ]);
  });

  it('treats every sender as verified outside the sandbox when no identities are given', () => {
    expect(
      unverifiedIdentities(['a@z.test'], ['b@z.test'], { sandbox: false, verifiedIdentities: undefined }),
    ).toEqual([]);
  });

  it('verifies nothing in the sandbox without identities, except mailbox simulator recipients', () => {
    const policy = { sandbox: true, verifiedIdentities: undefined };
    expect(
      unverifiedIdentities(['a@z.test'], ['success@simulator.amazonses.com', 'B@z.test', 'b@Z.test'], policy),
    ).toEqual(['a@z.test', 'B@z.test']);
  });
});

describe('senderHeaderAddresses', () => {
  it.each([
    ['From: a@example.com\r\nTo: b@example.com\r\n\r\nFrom: body@x.test\r\n', ['a@example.com']],
    ['Subject: x\r\nfrom: "A @ B" <a@example.com>\r\n\r\n', ['a@example.com']],
    ['From: A <a@example.com>,\r\n B <b@example.org>\r\n\r\n', ['a@example.com', 'b@example.org']],
    ['Subject: none\r\n\r\nFrom: body@x.test\r\n', []],
    ['Subject: bare LF\nFrom: lf@example.com\n\nbody', ['lf@example.com']],
    // SES checks Sender too; addresses in comments (nested ones included) are not identities.
    ['From: a@example.com\r\nSender: s@other.test\r\n\r\n', ['a@example.com', 's@other.test']],
    ['From: a@example.com (on behalf of x@other.test)\r\n\r\n', ['a@example.com']],
    ['From: a@example.com (a (nested x@other.test) comment)\r\n\r\n', ['a@example.com']],
  ])('%j → %j', (raw, expected) => {
    expect(senderHeaderAddresses(raw)).toEqual(expected);
  });
});
