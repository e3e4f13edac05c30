import { EventEmitter } from 'node:events';
import type * as net from 'node:net';
import { Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors/codes.js';
import type { SmtpError } from '../../src/errors/smtp-error.js';
import { BodyWriter, PROGRESS_INTERVAL_MS, writeInline } from '../../src/transport/body-writer.js';
import { prepareMessage } from '../../src/transport/message-source.js';

/** A socket whose buffer is "full" after every write until the test emits 'drain'. */
class FakeSocket extends EventEmitter {
  destroyed = false;
  written: Uint8Array[] = [];
  constructor(private readonly full: boolean) {
    super();
  }
  write(bytes: Uint8Array): boolean {
    this.written.push(bytes);
    return !this.full;
  }
  text(): string {
    return Buffer.concat(this.written).toString('latin1');
  }
}

function run(body: unknown, options: { full?: boolean; maxSize?: number; allow8bit?: boolean } = {}) {
  const socket = new FakeSocket(options.full ?? false);
  const log: string[] = [];
  let clock = 0;
  let failure: SmtpError | undefined;
  const writer = new BodyWriter(socket as unknown as net.Socket, {
    maxSize: options.maxSize ?? 1_000_000,
    allow8bit: options.allow8bit ?? true,
    progress: () => log.push('progress'),
    // A clock that moves a progress interval per look: every block is reported.
    now: () => (clock += PROGRESS_INTERVAL_MS),
    finished: () => log.push('finished'),
    failed: (error) => {
      log.push('failed');
      failure = error;
    },
  });
  const done = writer.run(body);
  return { socket, log, done, writer, failure: () => failure };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('BodyWriter', () => {
  it('writes a pre-encoded body in 64 KiB slices, reporting progress then finished', async () => {
    const body = prepareMessage(`${'a'.repeat(100)}\r\n`.repeat(1500)); // ~150 KiB
    const { socket, log, done } = run(body);
    await done;
    // The body needed no change: its own bytes in slices, then the terminator (one flight with the last slice).
    expect(socket.written.map((w) => w.length)).toEqual([65536, 65536, 21928, 3]);
    expect(log).toEqual(['progress', 'progress', 'progress', 'finished']);
    expect(socket.text()).toBe(`${`${'a'.repeat(100)}\r\n`.repeat(1500)}.\r\n`);
  });

  it('waits for drain before the next block (back-pressure)', async () => {
    const body = prepareMessage(`${'a'.repeat(100)}\r\n`.repeat(1500));
    const { socket, log, done } = run(body, { full: true });
    await tick();
    expect(socket.written).toHaveLength(1);
    socket.emit('drain');
    await tick();
    expect(socket.written).toHaveLength(2);
    socket.emit('drain');
    await tick();
    socket.emit('drain');
    await done;
    expect(log.at(-1)).toBe('finished');
  });

  it('stop() while waiting for drain ends the body without the terminator or any hook', async () => {
    const body = prepareMessage(`${'a'.repeat(100)}\r\n`.repeat(1500));
    const { socket, log, done, writer } = run(body, { full: true });
    await tick();
    writer.stop();
    await done;
    expect(log).toEqual(['progress']);
    expect(socket.text()).not.toContain('\r\n.\r\n');
  });

  // The connection went away (a data-block timeout, a server close, destroy()) while the caller's
  // stream has nothing to give: a pending read of a Readable's iterator holds back return(), so the
  // stream must be destroyed (its file handle or upstream socket released) and run() must settle.
  describe('stop() while the source stalls (a pending read)', () => {
    const stalled = () => {
      const stream = new Readable({ read() {} });
      stream.push('Subject: x\r\n\r\nfirst line\r\n');
      return stream;
    };
    const settles = (done: Promise<void>) =>
      Promise.race([done.then(() => 'settled'), new Promise((r) => setTimeout(() => r('pending'), 200))]);

    for (const transfer of ['data', 'bdat'] as const) {
      it(`${transfer}: a Readable is destroyed, run() settles, no hook is called`, async () => {
        const stream = stalled();
        const socket = new FakeSocket(false);
        const log: string[] = [];
        const writer = new BodyWriter(socket as unknown as net.Socket, {
          maxSize: 1_000_000,
          allow8bit: true,
          transfer,
          chunk: () => log.push('chunk'),
          progress: () => log.push('progress'),
          finished: () => log.push('finished'),
          failed: () => log.push('failed'),
        });
        const done = writer.run(prepareMessage(stream));
        await tick();
        writer.stop();
        expect(await settles(done)).toBe('settled');
        expect(stream.destroyed).toBe(true);
        expect(log.filter((entry) => entry !== 'progress' && entry !== 'chunk')).toEqual([]);
      });
    }

    // What makes stop() reach a pending read must not keep every chunk read so far reachable (a
    // promise raced against each read did: a 200 MB stream held 164 MB until it ended).
    it('chunks already written are not kept alive while the stream goes on', async () => {
      setFlagsFromString('--expose-gc');
      const gc = runInNewContext('gc') as () => void;
      const written: WeakRef<object>[] = [];
      let aliveEarly = -1;
      const source = (async function* () {
        for (let i = 0; i < 40; i++) {
          if (i === 39) {
            // WeakRef targets stay alive until the microtask checkpoint ends: leave it first.
            await new Promise((resolve) => setImmediate(resolve));
            gc();
            aliveEarly = written.slice(0, 30).filter((ref) => ref.deref() !== undefined).length;
          }
          const chunk = Buffer.from(`${'a'.repeat(78)}\r\n`.repeat(1000));
          written.push(new WeakRef(chunk));
          yield chunk;
        }
      })();
      // A socket that keeps nothing (FakeSocket keeps every write).
      const discard = Object.assign(new EventEmitter(), { destroyed: false, write: () => true });
      let finished = false;
      const writer = new BodyWriter(discard as unknown as net.Socket, {
        maxSize: 1e9,
        allow8bit: true,
        progress: () => {},
        finished: () => {
          finished = true;
        },
        failed: () => {},
      });
      await writer.run(prepareMessage(source));
      expect(finished).toBe(true);
      expect(aliveEarly).toBe(0);
    });

    it('an async iterable that is not a Readable: run() settles all the same', async () => {
      let release: (() => void) | undefined;
      const source = {
        async *[Symbol.asyncIterator]() {
          yield 'Subject: x\r\n\r\nfirst line\r\n';
          await new Promise<void>((resolve) => {
            release = resolve;
          });
        },
      };
      const { done, writer, log } = run(prepareMessage(source));
      await tick();
      writer.stop();
      expect(await settles(done)).toBe('settled');
      expect(log.filter((entry) => entry !== 'progress')).toEqual([]);
      release?.();
    });
  });

  it('encodes a stream chunk by chunk and refuses it once over maxSize, before writing those bytes', async () => {
    const chunks = Array.from({ length: 10 }, () => Buffer.from(`${'z'.repeat(98)}\r\n`));
    const stream = Readable.from(chunks);
    const { socket, log, done, failure } = run(prepareMessage(stream), { maxSize: 450 });
    await done;
    expect(log.at(-1)).toBe('failed');
    expect(failure()?.code).toBe('SMTP_MESSAGE_TOO_LARGE');
    expect(socket.text().length).toBeLessThanOrEqual(450);
    expect(socket.text()).not.toContain('\r\n.\r\n');
    expect(stream.destroyed).toBe(true);
  });

  // RFC 1870 §3: maxSize is a message size — stuffed dots and the terminator are not counted.
  it.each([
    ['a stream', (text: string) => prepareMessage(Readable.from([Buffer.from(text)]))],
    ['a pre-encoded body', (text: string) => prepareMessage(text)],
  ])('%s of dot lines exactly at maxSize goes whole; one octet more is refused', async (_name, prepare) => {
    const dots = `${'.'.repeat(98)}\r\n`.repeat(10); // 1000 octets; 1010 + ".\r\n" on the wire
    const fits = run(prepare(dots), { maxSize: 1000 });
    await fits.done;
    expect(fits.log.at(-1)).toBe('finished');
    expect(fits.socket.text()).toBe(`${`..${'.'.repeat(97)}\r\n`.repeat(10)}.\r\n`);
    const over = run(prepare(`${dots}x\r\n`), { maxSize: 1000 });
    await over.done;
    expect(over.failure()?.code).toBe('SMTP_MESSAGE_TOO_LARGE');
  });

  it('refuses 8-bit data without 8BITMIME, for streams and pre-encoded bodies', async () => {
    const streamed = run(
      prepareMessage(Readable.from([Buffer.from('ok\r\n'), Buffer.from('caf\xe9\r\n', 'latin1')])),
      {
        allow8bit: false,
      },
    );
    await streamed.done;
    expect(streamed.failure()?.code).toBe('SMTP_8BIT_NOT_SUPPORTED');
    expect(streamed.socket.text()).toBe('ok\r\n');
    const whole = run(prepareMessage('caf\u00e9\r\n'), { allow8bit: false });
    await whole.done;
    expect(whole.failure()?.code).toBe('SMTP_8BIT_NOT_SUPPORTED');
    expect(whole.socket.written).toHaveLength(0);
  });

  it('turns a failing stream into a not-sent error with the cause kept', async () => {
    const boom = new Error('disk on fire');
    const stream = new Readable({
      read() {
        this.destroy(boom);
      },
    });
    const { failure, done, socket } = run(prepareMessage(stream));
    await done;
    expect(failure()).toMatchObject({
      code: 'SMTP_MESSAGE_STREAM_FAILED',
      outcome: 'not-sent',
      field: 'message',
    });
    expect(failure()?.cause).toBe(boom);
    expect(socket.written).toHaveLength(0);
  });

  it('passes encoder errors (NUL in a stream) through', async () => {
    const { failure, done } = run(prepareMessage(Readable.from([Buffer.from('a\0b')])));
    await done;
    expect(failure()?.code).toBe('SMTP_BODY_NUL');
  });

  it('a Uint8Array changed after it was prepared is refused before any byte of it is written', async () => {
    const bytes = Buffer.from(`${'a'.repeat(100)}\r\n`.repeat(1500));
    const body = prepareMessage(bytes);
    bytes.write('\r\n.\r\nMAIL FROM:<x@y>\r\n', 500, 'latin1'); // would smuggle a second message
    const { socket, log, done, failure } = run(body);
    await done;
    expect(socket.written).toEqual([]);
    expect(log).toEqual(['failed']);
    expect(failure()?.code).toBe(ErrorCodes.INVALID_ARGUMENT);
  });

  it('writeInline: a small body in one piece with its tail, or an error and nothing written', () => {
    const bytes = new TextEncoder().encode('Subject: x\r\n\r\nhello');
    const body = prepareMessage(bytes);
    const written: Uint8Array[] = [];
    const limits = { maxSize: 1000, allow8bit: false, transfer: 'data' as const };
    expect(writeInline(body, limits, (b) => written.push(b))).toBeUndefined();
    expect(written[0]).toBe(bytes); // not copied
    expect(Buffer.concat(written).toString('latin1')).toBe('Subject: x\r\n\r\nhello\r\n.\r\n');
    written.length = 0;
    expect(writeInline(body, { ...limits, transfer: 'bdat' }, (b) => written.push(b))).toBeUndefined();
    expect(Buffer.concat(written).toString('latin1')).toBe('Subject: x\r\n\r\nhello\r\n');
    written.length = 0;
    expect(writeInline(body, { ...limits, maxSize: 10 }, (b) => written.push(b))?.code).toBe(
      ErrorCodes.MESSAGE_TOO_LARGE,
    );
    bytes[0] = 0x2e; // a leading dot now: the borrowed bytes no longer pass
    expect(writeInline(body, limits, (b) => written.push(b))?.code).toBe(ErrorCodes.INVALID_ARGUMENT);
    expect(written).toEqual([]);
  });

  it('BDAT of a known size: a body of other than the announced octets is refused before any byte (RFC 3030 §2)', async () => {
    const bytes = new TextEncoder().encode('Subject: x\r\n\r\nhello\r\n'); // 21 octets
    const body = prepareMessage(bytes);
    const limits = { maxSize: 1000, allow8bit: false, transfer: 'bdat' as const };
    const written: Uint8Array[] = [];
    expect(writeInline(body, { ...limits, announcedOctets: 21 }, (b) => written.push(b))).toBeUndefined();
    expect(Buffer.concat(written).length).toBe(21);
    written.length = 0;
    for (const announced of [20, 22, 0]) {
      const error = writeInline(body, { ...limits, announcedOctets: announced }, (b) => written.push(b));
      expect(error).toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT, field: 'unstuffedSize' });
      expect(written).toEqual([]);
    }
    // The same check when the writer runs (a body too large to go inline), and for a stream.
    for (const source of [prepareMessage(bytes), prepareMessage(Readable.from([Buffer.from(bytes)]))]) {
      const socket = new FakeSocket(false);
      let failure: SmtpError | undefined;
      const writer = new BodyWriter(socket as unknown as net.Socket, {
        ...limits,
        announcedOctets: 22,
        progress: () => {},
        finished: () => {},
        failed: (error) => {
          failure = error;
        },
      });
      await writer.run(source);
      expect(socket.written).toEqual([]);
      expect(failure).toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT, field: 'unstuffedSize' });
    }
  });

  it('reports progress at most once per interval, not per block', async () => {
    const body = prepareMessage(`${'a'.repeat(100)}\r\n`.repeat(15_000)); // ~1.5 MB: 24 blocks
    const socket = new FakeSocket(false);
    const log: string[] = [];
    let clock = 0;
    const writer = new BodyWriter(socket as unknown as net.Socket, {
      maxSize: 10_000_000,
      allow8bit: true,
      progress: () => log.push(`progress@${clock}`),
      finished: () => log.push('finished'),
      failed: () => log.push('failed'),
      now: () => (clock += PROGRESS_INTERVAL_MS / 4),
    });
    await writer.run(body);
    expect(socket.written.length).toBeGreaterThan(20);
    expect(log.at(-1)).toBe('finished');
    expect(log.length - 1).toBe(Math.floor(socket.written.length / 4));
  });

  it('a borrowed body is verified block by block: a CRLF split across blocks is fine', async () => {
    const head = `${'x'.repeat(98)}\r\n`.repeat(655); // 65,500 octets
    const text = `${head}${'y'.repeat(35)}\r\nlast line\r\n`; // its CR is octet 65,535, its LF the first of block 2
    expect(text.indexOf('\r', 65_500)).toBe(65_535);
    const body = prepareMessage(Buffer.from(text, 'latin1'));
    const { socket, log, done } = run(body);
    await done;
    expect(log.at(-1)).toBe('finished');
    expect(socket.text()).toBe(`${text}.\r\n`);
  });

  it('a borrowed body changed while it is being written: the rest is refused and no terminator follows', async () => {
    const bytes = Buffer.from(`${'a'.repeat(100)}\r\n`.repeat(1500));
    const { socket, log, done, failure } = run(prepareMessage(bytes), { full: true });
    await tick();
    expect(socket.written).toHaveLength(1);
    bytes.write('\r\n.\r\n', 100_000, 'latin1'); // in the second block, not yet written
    socket.emit('drain');
    await done;
    expect(log.at(-1)).toBe('failed');
    expect(failure()?.code).toBe(ErrorCodes.INVALID_ARGUMENT);
    expect(socket.written).toHaveLength(1);
  });
});
