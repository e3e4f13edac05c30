/**
 * One delivery run as `send` and `demo` show it: every message through deliverAll with the progress
 * bar kept up to date on stderr, the results collected in completion order, and the pool's tally.
 */
import {
  type DelivererOptions,
  type DeliveryResult,
  type DeliveryStatus,
  deliverAll,
  type Outgoing,
} from './deliverer.js';
import type { DeliveryTally } from './delivery-tally.js';
import type { ProgressBar } from './output.js';

export interface DeliveryRun {
  readonly results: DeliveryResult[];
  readonly tally: DeliveryTally;
}

/** `onResult` sees each result as it settles; the bar is finished however the run ends. */
export async function deliverWithProgress(
  messages: readonly Outgoing[],
  options: DelivererOptions,
  bar: ProgressBar,
  onResult: (result: DeliveryResult) => void = () => {},
): Promise<DeliveryRun> {
  const results: DeliveryResult[] = [];
  // The bar counts settled results: a message refused inside the pool's send() (over --max-size)
  // settles with no pool event, so the pool's count would stop short of the total.
  let status = '';
  const tally = await deliverAll(
    messages,
    {
      ...options,
      onEvent: (event, progress) => {
        options.onEvent?.(event, progress);
        status = progress.status();
        bar.update(results.length, status);
      },
    },
    (result) => {
      results.push(result);
      bar.update(results.length, status);
      onResult(result);
    },
  ).finally(() => bar.finish());
  return { results, tally };
}

/** How many results ended in each status. */
export function countByStatus(results: readonly DeliveryResult[]): Record<DeliveryStatus, number> {
  const count = { delivered: 0, rejected: 0, failed: 0, unknown: 0 };
  for (const result of results) count[result.status] += 1;
  return count;
}
