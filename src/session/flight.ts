/**
 * A flight: the command lines the machine sends together (RFC 2920 §3.1 pipelined groups), encoded by
 * the one command encoder (RFC 5321 §4.1.1) and joined into one socket write.
 */
import { type Command, encodeCommand, encodeCommands } from '../protocol/command.js';

/** The flight's bytes, or a throw (SmtpUsageError) before any byte exists. */
export function encodeFlight(commands: readonly Command[]): Uint8Array {
  return encodeCommands(commands);
}

/** Every line of the flight, each encoded alone (for the transcript: the same octets, line by line), or the same throw. */
export function encodeFlightLines(commands: readonly Command[]): Uint8Array[] {
  const lines: Uint8Array[] = [];
  for (const command of commands) lines.push(encodeCommand(command));
  return lines;
}
