import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors/codes.js';
import { writeInline } from '../../src/transport/body-writer.js';
import { prepareMessage } from '../../src/transport/message-source.js';

const BODY = '.dot\r\nabc\r\n'; // RFC 1870 §3 size: 11 octets (the stuffed dot and ".\r\n" not counted)

function inline(maxSize: number, transfer?: 'bdat'): { error: unknown; written: number } {
  let written = 0;
  const error = writeInline(
    prepareMessage(BODY),
    { maxSize, allow8bit: true, ...(transfer ? { transfer } : {}) },
    (bytes) => {
      written += bytes.length;
    },
  );
  return { error, written };
}

// The size limit is inclusive: a body of exactly maxSize octets is sent, one octet more is refused
// before any byte is written.
describe('body writer: the message size limit (RFC 1870 §3)', () => {
  it.each([undefined, 'bdat'] as const)('takes a body of exactly maxSize octets (%s)', (transfer) => {
    const { error, written } = inline(11, transfer);
    expect(error).toBeUndefined();
    expect(written).toBe(transfer === 'bdat' ? 11 : 15);
  });

  it.each([undefined, 'bdat'] as const)('refuses a body one octet over, writing nothing (%s)', (transfer) => {
    const { error, written } = inline(10, transfer);
    expect(error).toMatchObject({ code: ErrorCodes.MESSAGE_TOO_LARGE });
    expect(written).toBe(0);
  });
});
