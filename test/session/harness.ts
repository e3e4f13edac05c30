/** Test harness: a Session joined to a fake transport that records every effect, on a SimulatedClock. */
import { SimulatedClock } from 'xstate';
import type { SmtpError } from '../../src/errors/smtp-error.js';
import { Session } from '../../src/session/session.js';
import type {
  SendRequest,
  SendResult,
  SessionEffect,
  SessionOptions,
  TranscriptEntry,
} from '../../src/session/types.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Server lines joined by '\n' → wire bytes with CRLF. */
export function wire(text: string): Uint8Array {
  return encoder.encode(
    text
      .split('\n')
      .map((line) => `${line}\r\n`)
      .join(''),
  );
}

export const EHLO_PLAIN =
  '250-mx.example\n250-PIPELINING\n250-8BITMIME\n250-SIZE 1000\n250 ENHANCEDSTATUSCODES';

/** EHLO replies offering CHUNKING (RFC 3030) in lock-step, and with PIPELINING (RFC 2920). */
export const EHLO_CHUNKING = '250-mx.example\n250-8BITMIME\n250-CHUNKING\n250 SIZE 1000';
export const EHLO_PIPELINING_CHUNKING =
  '250-mx.example\n250-PIPELINING\n250-8BITMIME\n250-CHUNKING\n250 SIZE 1000';
/** A 7-bit body of known size: 10 octets unstuffed, 13 as DATA on the wire. */
export const KNOWN_SIZE = { size: 13, unstuffedSize: 10, eightBit: false } as const;

export type Settled = { ok: true; value: SendResult } | { ok: false; error: SmtpError } | undefined;

export class Harness {
  readonly clock = new SimulatedClock();
  readonly effects: SessionEffect[] = [];
  readonly transcript: TranscriptEntry[] = [];
  readonly session: Session;
  closedAt: number | undefined;
  /** Runs inside the effect callback, as a transport's own handling would (e.g. an inline body's bodyFailed). */
  onEffect: ((effect: SessionEffect) => void) | undefined;

  constructor(options: Partial<SessionOptions> = {}) {
    this.session = new Session(
      {
        clientName: 'client.example',
        security: 'none',
        // On here, as createClient has it: the suites drive BDAT against CHUNKING servers.
        chunking: true,
        clock: this.clock,
        onTranscript: (entry) => this.transcript.push(entry),
        ...options,
      },
      (effect) => {
        if (this.closedAt === undefined && effect.type === 'close') this.closedAt = this.effects.length;
        this.effects.push(effect);
        this.onEffect?.(effect);
      },
    );
  }

  /** Every write effect decoded, one string per write (a pipelined group is one string). */
  get writes(): string[] {
    return this.effects.flatMap((effect) => (effect.type === 'write' ? [decoder.decode(effect.bytes)] : []));
  }

  get lastWrite(): string | undefined {
    return this.writes.at(-1);
  }

  get closed(): boolean {
    return this.closedAt !== undefined;
  }

  /** Effects after the first close (must be none but the close itself). */
  get effectsAfterClose(): SessionEffect[] {
    return this.closedAt === undefined ? [] : this.effects.slice(this.closedAt + 1);
  }

  server(text: string): this {
    this.session.receive(wire(text));
    return this;
  }

  connect(greeting = '220 mx.example ESMTP'): this {
    this.session.connected();
    return this.server(greeting);
  }

  /** Greeting + EHLO (+ nothing else): lands in ready for security 'none' without auth. */
  ready(ehlo = EHLO_PLAIN): this {
    return this.connect().server(ehlo);
  }

  /** Starts a send and records how it settles. */
  send(request: Partial<SendRequest> = {}, signal?: AbortSignal): { readonly result: Settled } {
    const box: { result: Settled } = { result: undefined };
    this.session
      .send({ from: 'a@example.com', to: ['b@example.org'], body: 'BODY', ...request }, signal)
      .then(
        (value) => {
          box.result = { ok: true, value };
        },
        (error: SmtpError) => {
          box.result = { ok: false, error };
        },
      );
    return box;
  }
}

/** Lets promise callbacks run. */
export const flush = () => new Promise<void>((resolve) => setImmediate(resolve));
