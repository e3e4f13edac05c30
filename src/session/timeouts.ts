/**
 * Per-phase timeouts of an SMTP client session, RFC 5321 §4.5.3.2 (greeting 5 min, MAIL/RCPT 5 min,
 * DATA initiation 2 min, data block 3 min, DATA termination 10 min). All are overridable.
 */
import { ErrorCodes } from '../errors/codes.js';
import { SmtpUsageError } from '../errors/smtp-error.js';
import { MAX_TIMER_MS } from '../protocol/limits.js';

export interface Timeouts {
  /**
   * Dialing (TCP, and implicit TLS's handshake): the transport's, before the Session exists (not an RFC
   * value: 30 s). `createClient` bounds the STARTTLS handshake by it too, inside `command`'s wait.
   */
  readonly connect: number;
  /** RFC 5321 §4.5.3.2.1: initial 220 message, 5 minutes. */
  readonly greeting: number;
  /**
   * RFC 5321 §4.5.3.2.2/3 (MAIL, RCPT: 5 minutes); also EHLO, HELO, STARTTLS, AUTH, RSET, QUIT, and
   * the STARTTLS handshake (which createClient's transport also bounds by `connect`).
   */
  readonly command: number;
  /** RFC 5321 §4.5.3.2.4: DATA initiation (the 354), 2 minutes. */
  readonly dataStart: number;
  /** RFC 5321 §4.5.3.2.5: between two data blocks written, 3 minutes. */
  readonly dataBlock: number;
  /** RFC 5321 §4.5.3.2.6: from the final dot to its reply, 10 minutes. */
  readonly dataTermination: number;
}

export const DEFAULT_TIMEOUTS: Timeouts = Object.freeze({
  connect: 30_000,
  greeting: 300_000,
  command: 300_000,
  dataStart: 120_000,
  dataBlock: 180_000,
  dataTermination: 600_000,
});

/**
 * Defaults overlaid with the caller's values, each checked to be a positive finite number of ms; an
 * unknown name (a typo such as `comand`, which would leave the real timeout at its default) or a
 * value that is not an object is refused by name.
 */
/** What a caller may override: any of the timeouts, `undefined` meaning its default. */
export type TimeoutOverrides = { readonly [K in keyof Timeouts]?: number | undefined };

export function resolveTimeouts(overrides: TimeoutOverrides = {}): Timeouts {
  const refuse = (field: string, rule: string): never => {
    throw new SmtpUsageError({ code: ErrorCodes.INVALID_ARGUMENT, message: `${field} ${rule}`, field });
  };
  if (overrides === null || typeof overrides !== 'object' || Array.isArray(overrides)) {
    refuse('timeouts', 'must be an object of milliseconds by phase');
  }
  const merged: Record<string, unknown> = { ...DEFAULT_TIMEOUTS };
  for (const [name, value] of Object.entries(overrides)) {
    if (!Object.hasOwn(DEFAULT_TIMEOUTS, name)) {
      refuse(`timeouts.${name}`, `is not a timeout (${Object.keys(DEFAULT_TIMEOUTS).join(', ')})`);
    }
    if (value !== undefined) merged[name] = value;
  }
  for (const [name, value] of Object.entries(merged)) {
    // Above MAX_TIMER_MS a Node timer fires at once: a usage error, not "never".
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > MAX_TIMER_MS) {
      throw new SmtpUsageError({
        code: ErrorCodes.INVALID_ARGUMENT,
        message: `timeouts.${name} must be a positive number of milliseconds (at most ${MAX_TIMER_MS})`,
        field: `timeouts.${name}`,
      });
    }
  }
  return Object.freeze(merged as unknown as Timeouts);
}
