/**
 * Runs the CLI as a child process (node --import tsx src/cli/main.ts …) with a clean environment,
 * optional stdin, and a timeout; collects exit code, stdout and stderr.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

/** The smallest message `send` takes from flags: one sender, one recipient, a one-letter text. */
export const ONE_MESSAGE = ['--from', 'a@example.com', '--to', 'b@example.org', '--text', 'x'] as const;

/** `send` to a port nothing listens on, plaintext: for messages refused (or read) before connecting. */
export const SEND_TO_NOWHERE = ['send', '--host', '127.0.0.1', '--port', '1', '--security', 'none'] as const;

export interface CliRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly args: readonly string[];
}

export interface CliRunOptions {
  readonly env?: Record<string, string>;
  /** Written to stdin, then stdin is closed; without it stdin is closed at once. */
  readonly stdin?: string;
  readonly timeoutMs?: number;
}

/** The child's environment: PATH and HOME only, so the developer's SMTP_* or AWS_* never leak in. */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of ['PATH', 'HOME', 'TMPDIR', 'SYSTEMROOT']) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  return env;
}

export function runCli(args: readonly string[], options: CliRunOptions = {}): Promise<CliRun> {
  const argv = ['--import', 'tsx', MAIN, ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, {
      env: { ...baseEnv(), ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 15_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, args: argv });
    });
    child.stdin.end(options.stdin ?? '');
  });
}

/** Starts a long-running CLI command and resolves with its first stdout line (e.g. `simulate --json`). */
export function startCli(args: readonly string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    env: { ...baseEnv(), ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const firstLine = new Promise<string>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const end = stdout.indexOf('\n');
      if (end >= 0) resolve(stdout.slice(0, end));
    });
    child.on('close', () => reject(new Error(`exited before printing a line: ${stderr}`)));
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal }));
  });
  return { child, firstLine, exited, stderr: () => stderr, stdout: () => stdout };
}
