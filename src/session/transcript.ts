/**
 * The Session's transcript: each command line sent and each reply read (RFC 5321 §4.2 layout), with
 * secrets replaced and credentials the server echoes while authenticating scrubbed (threats.md §5).
 */
import type { Reply } from '../protocol/reply-types.js';
import { credentialForms, longestFirst, scrubText, wasScrubbed } from './redaction.js';
import type { Credentials } from './sasl.js';
import { REDACTED } from './secret.js';
import type { TranscriptEntry } from './types.js';

const decoder = new TextDecoder();

export class Transcript {
  readonly #sink: ((entry: TranscriptEntry) => void) | undefined;
  /** Credential forms scrubbed from server lines while authenticating. */
  readonly #echoForms: readonly string[];

  constructor(sink: ((entry: TranscriptEntry) => void) | undefined, credentials: Credentials | undefined) {
    this.#sink = sink;
    this.#echoForms = credentials ? credentialForms(credentials) : [];
  }

  /** Whether anyone listens: callers skip building entries when not. */
  get enabled(): boolean {
    return this.#sink !== undefined;
  }

  /** `sent`: the AUTH exchange's own lines so far (AuthExchange.sent), scrubbed too while authenticating. */
  reply(reply: Reply, authenticating: boolean, sent: readonly string[] = []): void {
    const text = replyLines(reply);
    const forms = sent.length === 0 ? this.#echoForms : longestFirst([...this.#echoForms, ...sent]);
    const shown = authenticating ? scrubText(text, forms) : text;
    // Scrubbed while authenticating here, or after AUTH before it was read (reply-intake.ts).
    this.#log({ direction: 'server', text: shown, redacted: shown !== text || wasScrubbed(reply) });
  }

  /** Encoded command lines (each ending in CRLF); a secret line is logged as REDACTED. */
  commands(lines: readonly Uint8Array[], secret: boolean): void {
    for (const line of lines) {
      const text = secret ? REDACTED : decoder.decode(line.subarray(0, line.length - 2));
      this.#log({ direction: 'client', text, redacted: secret });
    }
  }

  #log(entry: TranscriptEntry): void {
    try {
      this.#sink?.(entry);
    } catch {
      // A failing logger must not change the session.
    }
  }
}

function replyLines(reply: Reply): string {
  const last = reply.lines.length - 1;
  return reply.lines.map((line, index) => `${reply.code}${index < last ? '-' : ' '}${line}`).join('\n');
}
