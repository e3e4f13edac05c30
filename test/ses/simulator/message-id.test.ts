import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { createSesMessageId, SES_MESSAGE_ID_PATTERN } from '../../../src/ses/simulator/message-id.js';

describe('createSesMessageId', () => {
  it('matches the id SES returned in a real transcript', () => {
    expect('0101019dec617b98-3c1b5e1e-1f1c-4a5e-9d3b-9c0e2a6b7f00-000000').toMatch(SES_MESSAGE_ID_PATTERN);
  });

  it('puts 0101 and the time in ms as 12 hex digits first', () => {
    expect(createSesMessageId(0x019dec617b98, '3C1B5E1E-1F1C-4A5E-9D3B-9C0E2A6B7F00')).toBe(
      '0101019dec617b98-3c1b5e1e-1f1c-4a5e-9d3b-9c0e2a6b7f00-000000',
    );
  });

  it('differs between two ids made at the same time', () => {
    expect(createSesMessageId(1)).not.toBe(createSesMessageId(1));
  });

  test.prop([fc.integer({ min: 0, max: 2 ** 48 - 1 }), fc.uuid()], { numRuns: 300 })(
    'always has the SES shape and encodes the time',
    (now, uuid) => {
      const id = createSesMessageId(now, uuid);
      expect(id).toMatch(SES_MESSAGE_ID_PATTERN);
      expect(Number.parseInt(id.slice(4, 16), 16)).toBe(now);
    },
  );
});
