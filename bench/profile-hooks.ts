/**
 * Profiling of a worker's timed part only (set BENCH_PROFILE_DIR): V8's CPU profiler (what
 * `node --cpu-prof` uses) and the sampling heap profiler with collected objects kept (allocations,
 * not just what survives), plus counts of machine steps and GCs during the timed part.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { PerformanceObserver } from 'node:perf_hooks';
import { StateMachine } from 'xstate';

export interface Counters {
  /** Calls of xstate's transition function: one per machine step (src/session/machine-runner.ts). */
  machineSteps: number;
  minorGcs: number;
  majorGcs: number;
  gcMs: number;
}

const counters: Counters = { machineSteps: 0, minorGcs: 0, majorGcs: 0, gcMs: 0 };
let counting = false;

/** Wraps StateMachine.prototype.transition before any session exists. */
export function installCounters(): void {
  const proto = StateMachine.prototype as unknown as Record<
    string,
    (this: unknown, ...args: unknown[]) => unknown
  >;
  const transition = proto.transition as (this: unknown, ...args: unknown[]) => unknown;
  proto.transition = function (this: unknown, ...args: unknown[]) {
    if (counting) counters.machineSteps++;
    return transition.apply(this, args);
  };
  new PerformanceObserver((list) => {
    if (!counting) return;
    for (const entry of list.getEntries()) {
      const kind = (entry as unknown as { detail?: { kind?: number } }).detail?.kind;
      if (kind === 1)
        counters.minorGcs++; // NODE_PERFORMANCE_GC_MINOR
      else counters.majorGcs++;
      counters.gcMs += entry.duration;
    }
  }).observe({ entryTypes: ['gc'] });
}

function post(session: Session, method: string, params: object = {}): Promise<unknown> {
  return new Promise((resolve, reject) => {
    session.post(method, params, (error, result) => (error ? reject(error) : resolve(result)));
  });
}

/** 'cpu' or 'heap', never both: heap sampling slows allocating code and would skew the CPU split. */
const kind = process.env.BENCH_PROFILE_KIND === 'heap' ? 'heap' : 'cpu';

export async function startProfiling(): Promise<Session> {
  const session = new Session();
  session.connect();
  if (kind === 'heap') {
    await post(session, 'HeapProfiler.enable');
    await post(session, 'HeapProfiler.startSampling', {
      samplingInterval: 1024,
      includeObjectsCollectedByMajorGC: true,
      // BENCH_PROFILE_SURVIVORS: only objects that outlived a scavenge (promoted, or still live at the
      // end): what makes each scavenge copy, and the old generation fill with garbage. Objects made
      // since the last scavenge count too, dead or not: for every site about the share of the run one
      // scavenge interval is (~2% of its allocation for 20,000 messages, a scavenge per ~460).
      includeObjectsCollectedByMinorGC: process.env.BENCH_PROFILE_SURVIVORS !== '1',
    });
  } else {
    await post(session, 'Profiler.enable');
    await post(session, 'Profiler.setSamplingInterval', { interval: 1000 });
    await post(session, 'Profiler.start');
  }
  counting = true;
  return session;
}

export async function stopProfiling(session: Session, dir: string): Promise<Counters> {
  counting = false;
  if (kind === 'heap') {
    const heap = (await post(session, 'HeapProfiler.stopSampling')) as { profile: unknown };
    writeFileSync(`${dir}/timed.heapprofile`, JSON.stringify(heap.profile));
  } else {
    const cpu = (await post(session, 'Profiler.stop')) as { profile: unknown };
    writeFileSync(`${dir}/timed.cpuprofile`, JSON.stringify(cpu.profile));
  }
  session.disconnect();
  return { ...counters };
}
