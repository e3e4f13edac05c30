/**
 * A loopback port whose dials never complete, to time a connect out without leaving 127.0.0.1: a
 * listener with a backlog of 0 that never accepts (a child /usr/bin/python3: Node accepts every
 * connection itself), whose one queue slot is taken by a first connection. Linux then drops each
 * further SYN (tcp_abort_on_overflow 0), so a dial waits on its retransmissions until its own timer
 * ends it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as net from 'node:net';

export const PYTHON = '/usr/bin/python3';
export const canHangDials = process.platform === 'linux' && existsSync(PYTHON);

const LISTENER = [
  'import socket, sys',
  's = socket.socket()',
  "s.bind(('127.0.0.1', 0))",
  's.listen(0)',
  'print(s.getsockname()[1], flush=True)',
  'sys.stdin.read()', // until the test closes stdin (or dies)
].join('\n');

export interface UnansweredPort {
  readonly port: number;
  close(): Promise<void>;
}

export async function unansweredPort(): Promise<UnansweredPort> {
  const child: ChildProcess = spawn(PYTHON, ['-c', LISTENER], { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`listener exited (${code})`)));
    child.stdout?.once('data', (chunk: Buffer) => resolve(Number(String(chunk).trim())));
  });
  // Take the accept queue's one slot.
  const filler = net.connect({ host: '127.0.0.1', port });
  filler.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    filler.once('connect', () => resolve());
    filler.once('error', reject);
  });
  return {
    port,
    async close() {
      filler.destroy();
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin?.end();
      await exited;
    },
  };
}
