/** The per-status counts of a run (the batch summary's delivered/rejected/failed/unknown). */
import { describe, expect, it } from 'vitest';
import type { DeliveryResult, DeliveryStatus } from '../../src/cli/deliverer.js';
import { countByStatus } from '../../src/cli/delivery-run.js';

const result = (id: number, status: DeliveryStatus): DeliveryResult => ({
  id,
  status,
  exitCode: status === 'delivered' ? 0 : status === 'rejected' ? 69 : 75,
  attempts: 1,
  ms: 1,
  retries: {},
  history: [],
});

describe('countByStatus', () => {
  it('an unknown outcome (may have been delivered) is counted as unknown: neither delivered nor failed', () => {
    const statuses: DeliveryStatus[] = ['delivered', 'unknown', 'failed', 'unknown', 'rejected', 'delivered'];
    expect(countByStatus(statuses.map((status, i) => result(i + 1, status)))).toEqual({
      delivered: 2,
      rejected: 1,
      failed: 1,
      unknown: 2,
    });
  });

  it('no results: every count is there, at 0', () => {
    expect(countByStatus([])).toEqual({ delivered: 0, rejected: 0, failed: 0, unknown: 0 });
  });
});
