import { describe, expect, it } from 'vitest';
import {
  blockVerifier,
  type EncodedBody,
  prepareMessage,
  wireParts,
} from '../../src/transport/message-source.js';

const enc = (text: string): Uint8Array => new TextEncoder().encode(text);

function borrowed(bytes: Uint8Array): EncodedBody {
  const body = prepareMessage(bytes);
  if (body.kind !== 'encoded' || !body.borrowed) throw new Error('expected a borrowed body');
  return body;
}

function thrown(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  return undefined;
}

const changed = { code: 'SMTP_INVALID_ARGUMENT', field: 'message' };

// A clean Uint8Array body is sent as the caller's own array (no copy) with a tail chosen when it was
// prepared. Changed after send() so that it is still clean but needs another tail (its last line no
// longer ends in CRLF: the "." would follow the text on the same line) or is now 8-bit (after the
// 8BITMIME check), it is refused, never written with the stale tail or flag.
describe('a borrowed body changed after it was prepared', () => {
  it('is refused when its last line lost its CRLF (the tail would be wrong)', () => {
    const bytes = enc('Subject: x\r\n\r\nabc\r\n');
    const body = borrowed(bytes);
    bytes.set(enc('de'), bytes.length - 2);
    expect(thrown(() => wireParts(body, false, { rescan: true }))).toMatchObject(changed);
  });

  it('is refused when it became 8-bit', () => {
    const bytes = enc('Subject: x\r\n\r\nabc\r\n');
    const body = borrowed(bytes);
    bytes[bytes.length - 3] = 0xe9;
    expect(thrown(() => wireParts(body, false, { rescan: true }))).toMatchObject(changed);
  });

  it('is refused by the block verifier when it became 8-bit (the blocks still encode to themselves)', () => {
    const bytes = enc('Subject: x\r\n\r\nabc\r\n');
    const body = borrowed(bytes);
    bytes[bytes.length - 3] = 0xe9;
    const verifier = blockVerifier(body);
    expect(verifier).toBeDefined();
    verifier?.block(bytes);
    expect(thrown(() => verifier?.end())).toMatchObject(changed);
  });

  it('unchanged, passes both checks', () => {
    const bytes = enc('Subject: x\r\n\r\nabc\r\n');
    const body = borrowed(bytes);
    expect(wireParts(body, false, { rescan: true })[0]).toBe(bytes);
    const verifier = blockVerifier(body);
    verifier?.block(bytes);
    expect(thrown(() => verifier?.end())).toBeUndefined();
  });
});
