/**
 * CPU pinning for the one-core cases: the sink and the client share one CPU (`taskset -c`), so a
 * reply wakes its reader on the core that wrote it. On this 2-vCPU machine a wake-up across cores
 * costs tens of µs of wall and CPU per message; on one core what is left is the clients' own work.
 */
import { execFileSync } from 'node:child_process';

export function tasksetInstalled(): boolean {
  try {
    execFileSync('taskset', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** `command args` as spawn arguments, run through `taskset -c cpus` when `cpus` is given (same pid: taskset execs). */
export function pinned(
  cpus: string | undefined,
  command: string,
  args: readonly string[],
): [string, string[]] {
  return cpus === undefined ? [command, [...args]] : ['taskset', ['-c', cpus, command, ...args]];
}
