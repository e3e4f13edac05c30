/**
 * Where a message's wall time goes on one connection (set BENCH_CRITICAL_PATH=1 for a worker): each
 * read of replies ('data' on a client socket) and the first socket write after it are timestamped
 * during the timed part. With one flight per message, a message's wall time is the client's part —
 * read → write (taking the replies in, deciding, building the flight) — plus the rest of the cycle,
 * write → next read: the server's turnaround, both wake-ups, and whatever client work after the write
 * does not overlap with it. A faster client can only shorten the first part.
 */
import * as net from 'node:net';

interface Cycle {
  /** From the read that completed the replies to the first write after it. */
  readToWrite: number;
  /** Time inside the 'data' handlers of the cycle's reads. */
  handler: number;
  /** From the cycle's last write to the next read. */
  writeToRead: number;
  /**
   * The part of writeToRead this process spent idle, waiting in the event loop (its utilisation
   * counters); the rest is the write itself and whatever the client still did after it.
   */
  idleAfterWrite: number;
}

const newCycle = (): Cycle => ({
  readToWrite: Number.NaN,
  handler: 0,
  writeToRead: Number.NaN,
  idleAfterWrite: Number.NaN,
});
const cycles: Cycle[] = [];
let current = newCycle();
let measuring = false;
let readAt = 0;
let lastWriteAt = 0;
/** The event loop's utilisation counters at the last write (idle time since then: idleAfterWrite). */
let loopAtWrite: ReturnType<typeof performance.eventLoopUtilization> | undefined;
/** Whether the current cycle has written: the next read starts a new cycle. */
let wrote = false;
let reads = 0;
let writes = 0;

/** Wraps net.Socket's emit ('data') and write before any client socket exists. */
export function installCriticalPath(): void {
  const proto = net.Socket.prototype as unknown as {
    emit: (this: net.Socket, event: string | symbol, ...args: unknown[]) => boolean;
    write: (this: net.Socket, ...args: unknown[]) => boolean;
  };
  const emit = proto.emit;
  const write = proto.write;
  proto.emit = function (event, ...args) {
    if (event !== 'data' || !measuring) return emit.call(this, event, ...args);
    const start = performance.now();
    reads++;
    if (wrote) {
      current.writeToRead = start - lastWriteAt;
      if (loopAtWrite !== undefined)
        current.idleAfterWrite = performance.eventLoopUtilization(loopAtWrite).idle;
      cycles.push(current);
      current = newCycle();
      wrote = false;
    }
    // A read with no write since the last one (a reply group split over two reads): the cycle is
    // measured from its last read.
    readAt = start;
    try {
      return emit.call(this, event, ...args);
    } finally {
      current.handler += performance.now() - start;
    }
  };
  proto.write = function (...args) {
    if (measuring) {
      const now = performance.now();
      writes++;
      if (!wrote && readAt > 0) current.readToWrite = now - readAt;
      wrote = true;
      lastWriteAt = now;
      loopAtWrite = performance.eventLoopUtilization();
    }
    return write.apply(this, args);
  };
}

export function startCriticalPath(): void {
  cycles.length = 0;
  current = newCycle();
  reads = 0;
  writes = 0;
  readAt = 0;
  lastWriteAt = 0;
  loopAtWrite = undefined;
  wrote = false;
  measuring = true;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1] ?? Number.NaN;
};

/** Medians in µs over the timed part's cycles, and reads and writes per message. */
export function stopCriticalPath(messages: number): Record<string, number> {
  measuring = false;
  const complete = cycles.filter((cycle) => !Number.isNaN(cycle.readToWrite));
  const micro = (pick: (cycle: Cycle) => number) => Math.round(median(complete.map(pick)) * 10_000) / 10;
  return {
    cycles: complete.length,
    readsPerMessage: reads / messages,
    writesPerMessage: writes / messages,
    readToWriteUs: micro((cycle) => cycle.readToWrite),
    handlerUs: micro((cycle) => cycle.handler),
    writeToReadUs: micro((cycle) => cycle.writeToRead),
    idleAfterWriteUs: micro((cycle) => cycle.idleAfterWrite),
  };
}
