/**
 * The messages every benchmarked client sends (RFC 5322 text, CRLF lines of ~76 octets): a 1 KB
 * message for throughput, and big bodies as one Buffer or as a stream of whole-line 64 KiB chunks.
 */
import { Readable } from 'node:stream';

export const FROM = 'sender@bench.example';
export const TO = 'rcpt@bench.example';
export const CLIENT_NAME = 'bench.example';

const LINE = 'The quick brown fox jumps over the lazy dog; 0123456789 abcdefghijklmnopqrstuv\r\n'; // 80 octets

function headers(size: number): string {
  return (
    `From: Bench <${FROM}>\r\nTo: <${TO}>\r\nSubject: benchmark message of ${size} octets\r\n` +
    'Message-ID: <bench@bench.example>\r\nDate: Thu, 1 Jan 2026 00:00:00 +0000\r\n' +
    'MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n'
  );
}

/** A message of exactly `size` octets (size ≥ ~300): headers, then 80-octet lines, a short last line. */
export function buildMessage(size: number): Buffer {
  const head = headers(size);
  const out = Buffer.alloc(size);
  let offset = out.write(head, 0, 'latin1');
  const line = Buffer.from(LINE, 'latin1');
  while (offset + line.length <= size) offset += line.copy(out, offset);
  const rest = size - offset;
  if (rest > 0) {
    // A last, shorter line that still ends in CRLF (two octets minimum).
    out.fill('x', offset, size - 2, 'latin1');
    out.write('\r\n', size - 2, 'latin1');
  }
  return out;
}

/**
 * The fields both composing clients turn into a message on every send (smtp-machine's
 * composeMessage, nodemailer's own composer): a plain-text message of about 1 KB once composed.
 */
export const COMPOSE_FIELDS = {
  from: `Bench <${FROM}>`,
  to: TO,
  subject: 'benchmark message composed per send',
  text: `${LINE.slice(0, 70)}\r\n`.repeat(10), // lines under 76: 7bit for both composers
} as const;

/** Whole lines adding up to just under 64 KiB: a streamed body never splits a line at a chunk edge. */
const STREAM_CHUNK = Buffer.from(LINE.repeat(Math.floor(65536 / LINE.length)), 'latin1');

/** The same kind of body as buildMessage(size), produced chunk by chunk without holding it whole. */
export function streamMessage(size: number): Readable {
  const head = Buffer.from(headers(size), 'latin1');
  let remaining = size - head.length;
  let sentHead = false;
  return new Readable({
    highWaterMark: 65536,
    read() {
      if (!sentHead) {
        sentHead = true;
        this.push(head);
        return;
      }
      if (remaining <= 0) {
        this.push(null);
        return;
      }
      if (remaining >= STREAM_CHUNK.length) {
        remaining -= STREAM_CHUNK.length;
        this.push(STREAM_CHUNK);
        return;
      }
      const tail = Buffer.from(STREAM_CHUNK.subarray(0, remaining));
      if (remaining >= 2) tail.write('\r\n', remaining - 2, 'latin1');
      remaining = 0;
      this.push(tail);
    },
  });
}
