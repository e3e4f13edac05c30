/**
 * Secrets for the CLI come from stdin or the environment, never from flags (argv is visible to every
 * user of the machine via ps and lands in shell history).
 */
import type { Readable } from 'node:stream';
import { usageError } from './args.js';

const MAX_SECRET_OCTETS = 64 * 1024;

/** Everything piped on stdin (bounded), without the trailing newline. */
export async function readStdinSecret(stdin: Readable, what: string): Promise<string> {
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
