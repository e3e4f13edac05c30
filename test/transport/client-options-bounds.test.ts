import { describe, expect, it } from 'vitest';
import { defaultClientName, resolveClientOptions } from '../../src/transport/client-options.js';

function refusedField(options: Record<string, unknown>): unknown {
  try {
    resolveClientOptions(options as never);
  } catch (error) {
    return (error as { field?: unknown }).field;
  }
  return undefined;
}

// The ends of each range a client option is checked against, both sides.
describe('client options: bounds', () => {
  it('port is 1–65535 and defaults to 587 (submission, RFC 6409)', () => {
    expect(refusedField({ host: 'h.test', port: 0 })).toBe('port');
    expect(refusedField({ host: 'h.test', port: 65_536 })).toBe('port');
    expect(resolveClientOptions({ host: 'h.test', port: 1 }).port).toBe(1);
    expect(resolveClientOptions({ host: 'h.test', port: 65_535 }).port).toBe(65_535);
    expect(resolveClientOptions({ host: 'h.test' }).port).toBe(587);
  });

  it('maxMessageSize is a positive integer: 0 is refused, 1 taken', () => {
    expect(refusedField({ host: 'h.test', maxMessageSize: 0 })).toBe('maxMessageSize');
    expect(resolveClientOptions({ host: 'h.test', maxMessageSize: 1 }).maxMessageSize).toBe(1);
  });

  it('idleTimeoutMs is 0 up to the largest timer delay (2^31 - 1 ms)', () => {
    expect(resolveClientOptions({ host: 'h.test', idleTimeoutMs: 2_147_483_647 }).idleTimeoutMs).toBe(
      2_147_483_647,
    );
    expect(refusedField({ host: 'h.test', idleTimeoutMs: 2_147_483_648 })).toBe('idleTimeoutMs');
    expect(resolveClientOptions({ host: 'h.test', idleTimeoutMs: 0 }).idleTimeoutMs).toBe(0);
  });

  it('host is at most 254 characters (253 and a trailing dot)', () => {
    const label = 'a'.repeat(63);
    const host253 = [label, label, label, 'b'.repeat(61)].join('.');
    expect(host253).toHaveLength(253);
    expect(resolveClientOptions({ host: `${host253}.` }).host).toBe(`${host253}.`);
    expect(refusedField({ host: `${host253}.c` })).toBe('host');
  });
});

describe('defaultClientName: a host name longer than a domain may be', () => {
  it('falls back to the address literal for a dotted name over 255 octets', () => {
    const label = 'a'.repeat(63);
    const long = [label, label, label, label, 'b'].join('.');
    expect(long.length).toBeGreaterThan(255);
    expect(defaultClientName('10.0.0.5', long)).toBe('[10.0.0.5]');
  });
});
