/**
 * Secrets for the CLI come from stdin or the environment, never from flags (argv is visible to every
 * user of the machine via ps and lands in shell history).
 */
import type { Readable } from 'node:stream';
import { CliError, usageError } from './args.js';
import { ExitCodes } from './exit-codes.js';
import { untilAborted } from './until-aborted.js';

const MAX_SECRET_OCTETS = 64 * 1024;

/**
 * Everything piped on stdin (bounded), without the trailing newline. `signal` (Ctrl-C, SIGTERM) ends
 * the wait for a stdin that never closes: exit 75, and stdin is let go so that the process can end.
 */
export async function readStdinSecret(stdin: Readable, what: string, signal?: AbortSignal): Promise<string> {
  if (signal === undefined) return readAll(stdin, what);
  try {
    return await untilAborted(readAll(stdin, what), signal);
  } catch (error) {
    if (!signal.aborted) throw error;
    stdin.destroy();
    throw new CliError(ExitCodes.TEMP_FAIL, `interrupted while reading ${what} on stdin`);
  }
}

async function readAll(stdin: Readable, what: string): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stdin) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    total += bytes.length;
    if (total > MAX_SECRET_OCTETS) throw usageError(`${what} on stdin is too long`);
    chunks.push(bytes);
  }
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** The first line piped on stdin, for when stdin carries only the secret. */
export function firstLine(text: string): string {
  return text.split(/\r?\n/, 1)[0] ?? '';
}
