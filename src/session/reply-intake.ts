/**
 * The Session's reply intake: socket bytes → whole replies (RFC 5321 §4.2), one machine event each,
 * the STARTTLS response-injection check (RFC 3207 §4, threats.md §1) and, after AUTH, the password
 * scrubbed from what the server says (threats.md §5). Parsing never happens in the machine. Replies
 * that only begin a pipelined flight's may be held for the read that completes it (canWait, RFC 2920).
 */
import type { Phase, SmtpError } from '../errors/smtp-error.js';
import { ReplyParser } from '../protocol/reply-parser.js';
import type { Reply } from '../protocol/reply-types.js';
import { asProtocolError, injection } from './failures.js';
import { scrubReply } from './redaction.js';

export interface ReplyConsumer {
  /** False once the session has ended: later replies of the same read are dropped. */
  listening(): boolean;
  phase(): Phase;
  /**
   * `trailing`: more bytes came in the same read after this reply; `closingBehind`: what came is one
   * whole 421 and nothing more (RFC 5321 §3.8: a server may close "asynchronously from command
   * receipt"); `logged`: already in the transcript.
   */
  reply(reply: Reply, trailing: boolean, logged: boolean, closingBehind: boolean): void;
  /**
   * Offers a read's replies (two or more) to the machine as one step (reply-group.ts): 'taken' (they
   * were logged, then taken), 'not-offered' (the machine's plan does not take them: nothing happened),
   * 'declined' (logged and offered, but no step was taken: they then come one by one, `logged`).
   */
  group(replies: readonly Reply[], trailing: boolean): 'taken' | 'declined' | 'not-offered';
  malformed(error: SmtpError): void;
  /** The password forms to scrub from replies now (threats.md §5: after AUTH), or none. */
  echoForms(): readonly string[];
  /**
   * Whether these replies (a read's, with any held before: `alreadyHeld`) may wait for the rest of
   * their flight: the consumer then owes a flush() — before its next event, or by a deadline counted
   * from the first reply held (session.ts #canWait).
   */
  canWait(replies: readonly Reply[], trailing: boolean, alreadyHeld: boolean): boolean;
  /**
   * Whether replies followed by a cut line that may still become a 421 may wait for the rest of it
   * (mayBecomeClosing); the consumer then owes a flush() as for canWait, by its own, longer deadline,
   * counted from the first read held for it (`alreadyHeld`: a read that adds to the line).
   */
  canWaitForCloser(alreadyHeld: boolean): boolean;
}

export class ReplyIntake {
  #parser = new ReplyParser();
  readonly #consumer: ReplyConsumer;
  /** Replies read but not yet given to the machine: the first part of a flight's (canWait). */
  #held: Reply[] | undefined;
  /** `#held` waits for the rest of a cut line that may become a 421 (canWaitForCloser). */
  #heldForCloser = false;

  constructor(consumer: ReplyConsumer) {
    this.#consumer = consumer;
  }

  /** What was received of a reply the connection closed in the middle of (raw text), if anything. */
  unfinished(): string | undefined {
    return this.#parser.unfinished();
  }

  /** A fresh parser: nothing read before the TLS handshake may be taken as a post-TLS reply. */
  restart(): void {
    this.#parser = new ReplyParser();
    this.#heldForCloser = false;
  }

  receive(bytes: Uint8Array, handshaking: boolean): void {
    const consumer = this.#consumer;
    // threats.md §1: between the 220 to STARTTLS and the handshake a benign server sends nothing.
    if (handshaking) {
      consumer.malformed(injection());
      return;
    }
    const parser = this.#parser;
    let replies: Reply[];
    try {
      replies = parser.push(bytes);
    } catch (error) {
      consumer.malformed(asProtocolError(error, consumer.phase()));
      return;
    }
    // After AUTH a server may echo the password: scrubbed before anything reads the replies.
    const forms = consumer.echoForms();
    if (forms.length > 0) replies = replies.map((reply) => scrubReply(reply, forms));
    const held = this.#held;
    const heldForCloser = this.#heldForCloser;
    this.#heldForCloser = false;
    if (held !== undefined) {
      this.#held = undefined;
      replies = held.concat(replies);
    }
    if (replies.length === 0) return;
    // A line cut short behind the replies that can still become a whole 421 (SES's "Maximum message
    // count" right behind the dot's 250, split by TCP): they wait for the rest of it, so that where
    // the split fell decides nothing (#deliver's closingBehind). Any other event flushes them first.
    // This wait comes first, with or without coalesceReplies' flight hold: the same bytes, the same
    // outcome. Held for a 421 before, replies that then only begin a flight get the flight's own
    // (shorter) deadline.
    if (mayBecomeClosing(parser.unfinished(4)) && consumer.canWaitForCloser(heldForCloser)) {
      this.#held = replies;
      this.#heldForCloser = true;
      return;
    }
    if (consumer.canWait(replies, parser.bufferedBytes > 0, held !== undefined && !heldForCloser)) {
      this.#held = replies;
      return;
    }
    this.#deliver(replies, parser);
  }

  /** Replies are held (canWait): flush() owes them to the machine. */
  get holding(): boolean {
    return this.#held !== undefined;
  }

  /** The held replies go to the machine now. */
  flush(): void {
    const held = this.#held;
    if (held === undefined) return;
    this.#held = undefined;
    this.#heldForCloser = false;
    this.#deliver(held, this.#parser);
  }

  #deliver(replies: readonly Reply[], parser: ReplyParser): void {
    const consumer = this.#consumer;
    // A pipelined read's replies go to the machine as one step when its plan takes them (the plain,
    // all-positive path), all logged before that step's effects; otherwise one event per reply, each
    // logged right before its effects. (One event whose action raised one per reply measured slower:
    // xstate's raise costs a microstep too.)
    // After a reply that restarts the parser (the 220 to STARTTLS) nothing more of this read is taken
    // as a reply. (A 220 with more behind it already ended the session as an injection; the check
    // stays as a second line should that ever change.)
    const last = replies.length - 1;
    let logged = false;
    if (last > 0) {
      const offer = consumer.group(replies, parser.bufferedBytes > 0);
      if (offer === 'taken') return;
      logged = offer === 'declined';
    }
    const closingLast = last > 0 && replies[last]!.code === 421 && parser.bufferedBytes === 0;
    for (let index = 0; index <= last; index++) {
      if (!consumer.listening() || this.#parser !== parser) return;
      const trailing = index < last || parser.bufferedBytes > 0;
      consumer.reply(replies[index]!, trailing, logged, closingLast && index === last - 1);
    }
  }
}

/** Whether the start of a cut reply (`unfinished`) may still turn into a 421 (RFC 5321 §3.8). */
function mayBecomeClosing(unfinished: string | undefined): boolean {
  if (unfinished === undefined) return false;
  if (unfinished.length < 3) return '421'.startsWith(unfinished);
  return (
    unfinished.startsWith('421') &&
    (unfinished.length === 3 || unfinished[3] === ' ' || unfinished[3] === '-')
  );
}
