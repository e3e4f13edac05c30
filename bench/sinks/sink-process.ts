/**
 * Starts the benchmark's servers as child processes on 127.0.0.1 — Postfix smtp-sink, the
 * smtp-server sink, a private Postfix instance (smtpd with PIPELINING and CHUNKING, the interop
 * suite's, mail discarded), the latency proxy — and stops them (by pid, ours only).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import * as net from 'node:net';
import { fileURLToPath } from 'node:url';
import { available as postfixAvailable, start as startPostfix } from '../../test/support/servers/postfix.js';
import { pinned } from '../affinity.js';

export const SMTP_SINK = '/usr/sbin/smtp-sink';

export interface RunningProcess {
  readonly name: string;
  readonly port: number;
  readonly pid: number;
  stop(): Promise<void>;
}

export type SinkName =
  | 'smtp-sink'
  | 'smtp-sink-nopipe'
  | 'smtp-server'
  | 'smtp-server-nopipe'
  | 'postfix'
  | 'postfix-nochunking';

/** A private Postfix instance needs Postfix installed and root (test/support/servers/postfix.ts). */
export function postfixInstalled(): boolean {
  return postfixAvailable().ok;
}

const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url));

export function smtpSinkInstalled(): boolean {
  try {
    accessSync(SMTP_SINK, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port assigned');
  return address.port;
}

async function waitForPort(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 5000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`port ${port} never opened`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Resolves with the port a node child prints as `READY <port>`. */
function readyPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /READY (\d+)/.exec(out);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`exited with ${code} before READY`)));
  });
}

function stopper(child: ChildProcess): () => Promise<void> {
  return async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };
}

/** Children still running: killed (by pid, ours only) if this process exits first. */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

function track(name: string, port: number, child: ChildProcess): RunningProcess {
  const stop = stopper(child);
  live.add(child);
  child.once('exit', () => live.delete(child));
  return { name, port, pid: child.pid ?? -1, stop };
}

function nodeScript(file: string, args: string[], cpus?: string): ChildProcess {
  const [command, argv] = pinned(cpus, process.execPath, ['--import', 'tsx', here(file), ...args]);
  return spawn(command, argv, { stdio: ['pipe', 'pipe', 'inherit'] });
}

/** `cpus`: run the sink on these CPUs only (`taskset -c`, the one-core cases). */
export async function startSink(name: SinkName, cpus?: string): Promise<RunningProcess> {
  if (name === 'postfix' || name === 'postfix-nochunking') {
    if (cpus !== undefined) throw new Error('the Postfix sink runs unpinned');
    // Real smtpd: every message goes through cleanup and the queue before discard (server-bound).
    const postfix = await startPostfix(name === 'postfix' ? {} : { hideKeywords: ['chunking'] });
    return { name, port: postfix.port, pid: -1, stop: postfix.stop };
  }
  if (name === 'smtp-server' || name === 'smtp-server-nopipe') {
    const child = nodeScript(
      './smtp-server-sink.ts',
      name === 'smtp-server' ? [] : ['--no-pipelining'],
      cpus,
    );
    return track(name, await readyPort(child), child);
  }
  const port = await freePort();
  // -u nobody: required as root. 256 = listen backlog. -p hides PIPELINING; smtp-sink has no CHUNKING.
  const user = process.getuid?.() === 0 ? ['-u', 'nobody'] : [];
  const args = [
    ...user,
    '-t',
    '100',
    ...(name === 'smtp-sink-nopipe' ? ['-p'] : []),
    `127.0.0.1:${port}`,
    '256',
  ];
  const [command, argv] = pinned(cpus, SMTP_SINK, args);
  const child = spawn(command, argv, { stdio: ['ignore', 'ignore', 'inherit'] });
  await waitForPort(port, child);
  return track(name, port, child);
}

export async function startLatencyProxy(targetPort: number, delayMs: number): Promise<RunningProcess> {
  const child = nodeScript('../latency-proxy.ts', [String(targetPort), String(delayMs)]);
  return track(`latency-proxy(${delayMs}ms)`, await readyPort(child), child);
}
