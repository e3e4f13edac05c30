/**
 * A CliIo in memory, for running a command in-process (`runCli` from src/cli/main.ts): stdin left
 * open unless closed, stdout collected, the env given, and the signal of `controller` (Ctrl-C).
 */
import { PassThrough } from 'node:stream';
import type { CliIo } from '../../src/cli/output.js';

export function memoryIo(env: Record<string, string> = {}, controller = new AbortController()) {
  const stdout = new PassThrough();
  const chunks: Buffer[] = [];
  stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  const io: CliIo = {
    stdin: new PassThrough(),
    stdout,
    stderr: new PassThrough(),
    env,
    signal: controller.signal,
  };
  return { io, controller, stdout: (): string => Buffer.concat(chunks).toString('utf8') };
}
