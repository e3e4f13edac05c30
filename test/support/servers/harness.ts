/**
 * Shared plumbing for real-server test harnesses: presence checks, free loopback ports, waiting
 * for a listener, and child processes that cannot outlive the test run (a shell watchdog kills the
 * server when our stdin pipe closes, i.e. on stop() and when the test process dies).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type Availability =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: string; readonly install: string };

export interface RunningServer {
  readonly port: number;
  stop(): Promise<void>;
}

export const LOOPBACK = '127.0.0.1';

/** `ok` when every path is executable; otherwise the reason and the command that installs it. */
export function executablesPresent(paths: readonly string[], install: string): Availability {
  for (const path of paths) {
    try {
      accessSync(path, constants.X_OK);
    } catch {
      return { ok: false, reason: `${path} is not installed or not executable`, install };
    }
  }
  return { ok: true };
}

/** A loud, never-silent notice that an interop suite is skipped (and how to enable it). */
export function warnIfUnavailable(name: string, availability: Availability): void {
  if (availability.ok) return;
  console.warn(
    `\n!!! SKIPPING ${name} interop tests: ${availability.reason}\n!!! install with: ${availability.install}\n`,
  );
}

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** A port that was free a moment ago (callers retry when a bind race loses). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, LOOPBACK, resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port assigned');
  return address.port;
}

/** Resolves once a TCP connection to the port succeeds; rejects after `timeoutMs` or when `failed()` says so. */
export async function waitForPort(
  port: number,
  options: { timeoutMs: number; failed?: () => string | undefined },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const failure = options.failed?.();
    if (failure !== undefined) throw new Error(failure);
    if (await canConnect(port)) return;
    if (Date.now() > deadline)
      throw new Error(`nothing listened on ${LOOPBACK}:${port} in ${options.timeoutMs} ms`);
    await delay(50);
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: LOOPBACK, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Runs `attempt` until it resolves, at most `attempts` times (a lost free-port race is retried); rethrows the last error. */
export async function retried<T>(attempt: () => Promise<T>, attempts = 3): Promise<T> {
  let lastError: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      return await attempt();
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface TempDir {
  readonly path: string;
  remove(): void;
}

export function makeTempDir(prefix: string): TempDir {
  const path = mkdtempSync(join(tmpdir(), `smtp-machine-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** A server process under a watchdog, with its output collected. */
export interface WatchedProcess {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Set once the process exited (with its code or signal). */
  exited(): string | undefined;
  /** Closes the watchdog's stdin (it sends SIGTERM), then SIGKILLs whatever is left after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

const WATCHDOG = [
  '"$@" </dev/null & child=$!',
  'echo "WATCHDOG-CHILD $child" >&2',
  'cat >/dev/null',
  'kill -TERM "$child" 2>/dev/null',
  'wait "$child"',
].join('\n');

/**
 * Runs `command args` as a child of `sh`, which kills it when our end of its stdin closes. The
 * failsafe `timeout` bounds its life even if everything else goes wrong.
 */
export function spawnWatched(
  command: string,
  args: readonly string[],
  options: { maxLifeSeconds?: number; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): WatchedProcess {
  const life = String(options.maxLifeSeconds ?? 900);
  const child = spawn('sh', ['-c', WATCHDOG, 'sh', 'timeout', '-s', 'KILL', life, command, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: false,
    env: options.env ?? process.env,
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
  });
  let out = '';
  let err = '';
  let exit: string | undefined;
  child.stdout?.setEncoding('utf8').on('data', (text: string) => {
    out += text;
  });
  child.stderr?.setEncoding('utf8').on('data', (text: string) => {
    err += text;
  });
  const closed = new Promise<void>((resolve) => {
    child.once('close', (code, signal) => {
      exit = `exit code ${code ?? 'none'}, signal ${signal ?? 'none'}`;
      live.delete(child);
      resolve();
    });
  });
  child.stdin?.on('error', () => {});
  live.add(child);
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited: () => exit,
    stop: async (graceMs = 3000) => {
      if (exit !== undefined) return;
      child.stdin?.end();
      const timer = delay(graceMs).then(() => 'late' as const);
      if ((await Promise.race([closed, timer])) === 'late') {
        const match = /WATCHDOG-CHILD (\d+)/.exec(err);
        if (match?.[1] !== undefined) killQuietly(Number(match[1]));
        child.kill('SIGKILL');
        await closed;
      }
    },
  };
}

const live = new Set<ChildProcess>();

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

// Closing the pipes makes every watchdog kill its server even when a test forgot stop().
process.once('exit', () => {
  for (const child of live) child.stdin?.destroy();
});
