import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { type FlightSocket, FlightWriter, JOIN_LIMIT_OCTETS } from '../../src/transport/flight-writer.js';

/** A socket that records every call: writes (each one TCP write for Node) and cork/uncork. */
class FakeSocket implements FlightSocket {
  destroyed = false;
  highWater = false;
  readonly calls: (string | Uint8Array)[] = [];
  write(bytes: Uint8Array): boolean {
    this.calls.push(Uint8Array.from(bytes));
    return !this.highWater;
  }
  cork(): void {
    this.calls.push('cork');
  }
  uncork(): void {
    this.calls.push('uncork');
  }
  /** The bytes as they reach the wire, in order. */
  get wire(): number[] {
    return this.calls.flatMap((call) => (typeof call === 'string' ? [] : [...call]));
  }
  /** Socket writes as Node sends them: each write outside cork/uncork, or one writev per corked run. */
  get flights(): number {
    let flights = 0;
    let corked = false;
    for (const call of this.calls) {
      if (call === 'cork') corked = true;
      else if (call === 'uncork') {
        corked = false;
        flights++;
      } else if (!corked) flights++;
    }
    return flights;
  }
}

/** A writer whose end of tick is run by hand. */
function manualWriter(failures: unknown[] = []): { writer: FlightWriter; endTick: () => void } {
  const queued: (() => void)[] = [];
  const writer = new FlightWriter(
    (error) => failures.push(error),
    (flush) => queued.push(flush),
  );
  const endTick = (): void => {
    for (const flush of queued.splice(0)) flush();
  };
  return { writer, endTick };
}

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('FlightWriter', () => {
  it('sends what one tick adds as one write, at the end of the tick', () => {
    const { writer, endTick } = manualWriter();
    const socket = new FakeSocket();
    writer.add(socket, bytes('body\r\n.\r\n'));
    writer.add(socket, bytes('MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n'));
    expect(socket.calls).toEqual([]);
    expect(writer.pending).toBe(true);
    endTick();
    expect(socket.calls).toEqual([bytes('body\r\n.\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n')]);
    expect(writer.pending).toBe(false);
  });

  it('corks a flight above the join limit into one writev, without copying it', () => {
    const { writer, endTick } = manualWriter();
    const socket = new FakeSocket();
    const big = new Uint8Array(JOIN_LIMIT_OCTETS).fill(0x61);
    writer.add(socket, big);
    writer.add(socket, bytes('.\r\n'));
    endTick();
    expect(socket.calls.map((call) => (typeof call === 'string' ? call : call.length))).toEqual([
      'cork',
      JOIN_LIMIT_OCTETS,
      3,
      'uncork',
    ]);
    expect(socket.flights).toBe(1);
  });

  it('flush() sends now, returns the socket answer, and the next add starts a new flight', () => {
    const { writer, endTick } = manualWriter();
    const socket = new FakeSocket();
    socket.highWater = true;
    writer.add(socket, bytes('BDAT 5\r\n'));
    writer.add(socket, bytes('hello'));
    expect(writer.flush()).toBe(false);
    expect(socket.calls).toEqual([bytes('BDAT 5\r\nhello')]);
    expect(writer.flush()).toBe(true); // nothing pending
    writer.add(socket, bytes('QUIT\r\n'));
    endTick();
    expect(socket.calls).toEqual([bytes('BDAT 5\r\nhello'), bytes('QUIT\r\n')]);
  });

  it('a write that throws at the end of the tick is reported (the connection then counts the socket lost)', () => {
    const failures: unknown[] = [];
    const { writer, endTick } = manualWriter(failures);
    const socket = new FakeSocket();
    const boom = new Error('write failed');
    socket.write = () => {
      throw boom;
    };
    writer.add(socket, bytes('NOOP\r\n'));
    endTick();
    expect(failures).toEqual([boom]);
    expect(writer.pending).toBe(false);
  });

  it('writes nothing to a destroyed socket', () => {
    const { writer, endTick } = manualWriter();
    const socket = new FakeSocket();
    writer.add(socket, bytes('RSET\r\n'));
    socket.destroyed = true;
    endTick();
    expect(socket.calls).toEqual([]);
    expect(writer.pending).toBe(false);
  });

  it('sends a flight on the old socket before anything for a new one (TLS upgrade)', () => {
    const { writer, endTick } = manualWriter();
    const plain = new FakeSocket();
    const secure = new FakeSocket();
    writer.add(plain, bytes('STARTTLS\r\n'));
    writer.add(secure, bytes('EHLO x\r\n'));
    expect(plain.calls).toEqual([bytes('STARTTLS\r\n')]);
    endTick();
    expect(secure.calls).toEqual([bytes('EHLO x\r\n')]);
  });

  it('by default ends the flight with process.nextTick (before the next I/O callback)', async () => {
    const writer = new FlightWriter(() => {});
    const socket = new FakeSocket();
    writer.add(socket, bytes('a'));
    writer.add(socket, bytes('b'));
    expect(socket.calls).toEqual([]);
    await new Promise<void>((resolve) => process.nextTick(resolve));
    expect(socket.calls).toEqual([bytes('ab')]);
  });

  // Any interleaving of adds, explicit flushes and tick ends: every byte reaches the wire once, in
  // the order added, and each tick's adds (between flushes) leave as one socket write.
  const step = fc.oneof(
    fc.record({
      kind: fc.constant('add' as const),
      size: fc.oneof(fc.nat(40), fc.nat(2 * JOIN_LIMIT_OCTETS)),
    }),
    fc.constant({ kind: 'flush' as const }),
    fc.constant({ kind: 'tick' as const }),
  );
  test.prop([fc.array(step, { maxLength: 40 })], { numRuns: 300 })(
    'loses, repeats and reorders nothing, and sends one write per flight',
    (steps) => {
      const { writer, endTick } = manualWriter();
      const socket = new FakeSocket();
      const expected: number[] = [];
      let next = 0;
      let flights = 0;
      let open = false;
      for (const s of steps) {
        if (s.kind === 'add') {
          const part = Uint8Array.from({ length: s.size }, () => next++ & 0xff);
          expected.push(...part);
          writer.add(socket, part);
          open = true;
        } else {
          if (s.kind === 'flush') writer.flush();
          else endTick();
          if (open) flights++;
          open = false;
        }
      }
      endTick();
      if (open) flights++;
      expect(socket.wire).toEqual(expected);
      expect(socket.flights).toBe(flights);
      expect(writer.pending).toBe(false);
    },
  );
});
