import { describe, expect, it } from 'vitest';
import { type FlightSocket, FlightWriter, JOIN_LIMIT_OCTETS } from '../../src/transport/flight-writer.js';

/** Records writes (their lengths) and cork/uncork. */
class RecordingSocket implements FlightSocket {
  destroyed = false;
  readonly calls: (string | number)[] = [];
  write(bytes: Uint8Array): boolean {
    this.calls.push(bytes.length);
    return true;
  }
  cork(): void {
    this.calls.push('cork');
  }
  uncork(): void {
    this.calls.push('uncork');
  }
}

function flushParts(sizes: number[]): (string | number)[] {
  const socket = new RecordingSocket();
  const writer = new FlightWriter(
    () => {},
    () => {},
  );
  for (const size of sizes) writer.add(socket, new Uint8Array(size));
  writer.flush();
  return socket.calls;
}

// A flight of several parts is joined into one buffer up to JOIN_LIMIT_OCTETS inclusive, and
// corked into one writev (no copy) above it.
describe('FlightWriter: the join limit', () => {
  it('joins a flight of exactly JOIN_LIMIT_OCTETS into one write', () => {
    expect(flushParts([JOIN_LIMIT_OCTETS - 10, 10])).toEqual([JOIN_LIMIT_OCTETS]);
  });

  it('corks a flight one octet over the limit, part by part', () => {
    expect(flushParts([JOIN_LIMIT_OCTETS - 10, 11])).toEqual(['cork', JOIN_LIMIT_OCTETS - 10, 11, 'uncork']);
  });
});
