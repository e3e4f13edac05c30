/**
 * How many cores other processes keep busy while the benchmark idles. A busy core changes the
 * regime, not just the noise: measured here with a stray process spinning on one of the two cores,
 * client and sink shared the other, loopback wake-ups stayed on one core, and the raw sender went
 * from ~15,500 to ~43,000 msg/s while smtp-machine went from ~11,100 to ~21,000 (0.72 → 0.49 of raw).
 */
import { cpus } from 'node:os';

const totals = () =>
  cpus().reduce(
    (sum, cpu) => {
      const { user, nice, sys, irq, idle } = cpu.times;
      return { busy: sum.busy + user + nice + sys + irq, all: sum.all + user + nice + sys + irq + idle };
    },
    { busy: 0, all: 0 },
  );

/** Cores busy (0 … cpus) over `ms` of this process doing nothing. */
export async function busyCores(ms = 1000): Promise<number> {
  const before = totals();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const after = totals();
  const all = after.all - before.all;
  return all > 0 ? ((after.busy - before.busy) / all) * cpus().length : 0;
}

/** Prints a warning when the machine is not quiet; returns the reading for the results. */
export async function checkQuiet(log: (line: string) => void = console.error): Promise<number> {
  const busy = await busyCores();
  if (busy > 0.25)
    log(
      `warning: other processes keep ${busy.toFixed(2)} cores busy; ratios to the raw sender are not comparable with a quiet run (see bench/busy-cpu.ts)`,
    );
  return busy;
}
