import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { SmtpUsageError } from '../../src/errors/smtp-error.js';
import { chunkBytes, prepareMessage } from '../../src/transport/message-source.js';

const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('latin1');

describe('prepareMessage', () => {
  it('encodes strings once, as UTF-8, with dot-stuffing and the terminator', () => {
    const body = prepareMessage('Subject: é\n.hidden\n');
    expect(body.kind).toBe('encoded');
    if (body.kind !== 'encoded') return;
    expect(text(body.bytes)).toBe('Subject: \xc3\xa9\r\n..hidden\r\n.\r\n');
    expect(body.has8bit).toBe(true);
  });

  it('encodes bytes and reports 7-bit bodies', () => {
    const body = prepareMessage(new TextEncoder().encode('a\r\nb'));
    expect(body).toMatchObject({ kind: 'encoded', has8bit: false });
    if (body.kind !== 'encoded') return;
    expect(text(body.bytes) + text(body.tail)).toBe('a\r\nb\r\n.\r\n');
  });

  it("does not copy bytes that need no change: the caller's array, then the tail", () => {
    const bytes = new TextEncoder().encode('a\r\nb\r\n');
    const body = prepareMessage(bytes);
    if (body.kind !== 'encoded') throw new Error('expected an encoded body');
    expect(body.bytes).toBe(bytes);
    expect(body).toMatchObject({ borrowed: true, stuffedOctets: 0 });
    expect(text(body.tail)).toBe('.\r\n');
    const changed = prepareMessage(new TextEncoder().encode('.a\nb'));
    if (changed.kind !== 'encoded') throw new Error('expected an encoded body');
    expect(changed).toMatchObject({ borrowed: false, stuffedOctets: 1 });
    expect(text(changed.bytes) + text(changed.tail)).toBe('..a\r\nb\r\n.\r\n');
  });

  it('refuses a NUL up front as a usage error about the message', () => {
    expect(() => prepareMessage('a\0b')).toThrow(SmtpUsageError);
    try {
      prepareMessage('a\0b');
    } catch (error) {
      expect((error as SmtpUsageError).code).toBe('SMTP_BODY_NUL');
    }
  });

  it('passes streams through for encoding while sending', () => {
    const stream = Readable.from([Buffer.from('x')]);
    const body = prepareMessage(stream);
    expect(body).toMatchObject({ kind: 'stream', source: stream });
  });

  it('refuses values that are not a body', () => {
    for (const value of [undefined, null, 42, { length: 3 }, [1, 2]]) {
      let caught: unknown;
      try {
        prepareMessage(value);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(SmtpUsageError);
      expect((caught as SmtpUsageError).field).toBe('message');
    }
  });
});

describe('chunkBytes', () => {
  it('takes bytes as is and strings as UTF-8, refuses anything else', () => {
    const bytes = new Uint8Array([1, 2]);
    expect(chunkBytes(bytes)).toBe(bytes);
    expect(Array.from(chunkBytes('é'))).toEqual([0xc3, 0xa9]);
    expect(() => chunkBytes({})).toThrow(SmtpUsageError);
  });
});
