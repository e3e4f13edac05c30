/**
 * precheckSend (what pool.send() refuses before queueing) never refuses what createClient's send()
 * would take, and refuses with the client's own error: its envelope check is prepareRequest's, made
 * first as the client makes it, and its size check counts a body's octets as given, a lower bound of
 * the size prepareRequest encodes (line endings only grow into CRLF, a final CRLF is only added).
 * Checked for all envelopes, bodies and limits.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { isSmtpError } from '../../src/errors/smtp-error.js';
import { messageSize, tooLarge } from '../../src/session/transaction.js';
import { precheckSend, prepareRequest } from '../../src/transport/send-request.js';

/** The error a call throws, or undefined. */
function thrown(run: () => unknown): { code: string; field: string | undefined } | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    if (!isSmtpError(error)) throw error;
    return { code: error.code, field: (error as { field?: string }).field };
  }
}

/** Text and bytes rich in what encoding changes: bare CR and LF, dots at line starts, non-ASCII. */
const PIECES = ['\r', '\n', '\r\n', '.', 'a', 'é', '€', '😀', '\ud800', ' '];
const text = fc.array(fc.constantFrom(...PIECES), { maxLength: 60 }).map((parts) => parts.join(''));
const bytes = fc.uint8Array({ maxLength: 120 }).map((array) => array.map((b) => (b === 0 ? 0x61 : b)));
const address = fc.constantFrom(
  'a@example.com',
  '',
  'not an address',
  'b@example.org',
  'δ@example.org',
  'c@@x',
);

describe('precheckSend', () => {
  test.prop([fc.oneof(text, bytes), fc.boolean(), fc.integer({ min: 1, max: 400 })], { numRuns: 2000 })(
    'a size refusal is never of a body the client takes at that limit',
    (message, binary, limit) => {
      const options = { from: 'a@example.com', to: 'b@example.org', message, binary };
      if (thrown(() => precheckSend(options, limit)) === undefined) return;
      let size: number | undefined;
      const error = thrown(() => {
        size = messageSize(prepareRequest(options));
      });
      // Refused by the client as well (a body it cannot encode), or over the limit once encoded.
      if (error === undefined) expect(size).toBeGreaterThan(limit);
    },
  );

  test.prop(
    [
      address,
      fc.oneof(address, fc.array(address, { maxLength: 3 })),
      fc.oneof(text, bytes),
      fc.integer({ min: 1, max: 400 }),
    ],
    { numRuns: 1000 },
  )(
    'a refusal is the one the client gives for the same send (code and field), whichever checks fail',
    (from, to, message, limit) => {
      const options = { from, to, message };
      const pool = thrown(() => precheckSend(options, limit));
      if (pool === undefined) return;
      // createClient's send(): the request checked and encoded, then held to its limit (client.ts).
      const client = thrown(() => {
        const large = tooLarge(prepareRequest(options), limit);
        if (large !== undefined) throw large;
      });
      expect(client).toEqual(pool);
    },
  );
});

describe('precheckSend counts a string in UTF-8 octets', () => {
  // 40 UTF-16 units but 120 octets: only the short strings (3 octets per unit at most still fit) may
  // go uncounted; this one must be counted, and is over the limit of 100.
  for (const [message, octets] of [
    ['€'.repeat(40), 120],
    ['é'.repeat(60), 120],
  ] as const) {
    test(`refuses ${message.length} units that are ${octets} octets at a limit of 100`, () => {
      expect(Buffer.byteLength(message, 'utf8')).toBe(octets);
      expect(
        thrown(() => precheckSend({ from: 'a@example.com', to: 'b@example.org', message }, 100)),
      ).toEqual({
        code: 'SMTP_MESSAGE_TOO_LARGE',
        field: 'size',
      });
    });
  }
});
