/**
 * A box for values that must never be printed (threats.md §5): credentials and SASL lines.
 * The value sits in a private field; util.inspect, JSON.stringify and String() show '[redacted]'.
 */

const INSPECT = Symbol.for('nodejs.util.inspect.custom');
export const REDACTED = '[redacted]';

export class Secret<T> {
  readonly #value: T;

  constructor(value: T) {
    this.#value = value;
  }

  /** The boxed value; call only where it goes on the wire. */
  reveal(): T {
    return this.#value;
  }

  toJSON(): string {
    return REDACTED;
  }

  toString(): string {
    return REDACTED;
  }

  [INSPECT](): string {
    return REDACTED;
  }
}
