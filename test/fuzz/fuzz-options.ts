/**
 * Time-boxed fast-check parameters for fuzz targets. FUZZ_MS is the budget per target (default
 * short for CI; `npm run fuzz -- --minutes N` raises it); FUZZ_SEED (+ FUZZ_PATH) replays a failure,
 * whose seed and path fast-check prints in the failure message.
 */
import fc from 'fast-check';

export const FUZZ_MS = positive(process.env.FUZZ_MS, 2500);

function positive(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return value !== undefined && Number.isFinite(n) && n > 0 ? n : fallback;
}

/** Parameters for fc.assert: runs until the budget is spent (a time-out is not a failure). */
export function fuzzParameters<T>(budgetMs: number = FUZZ_MS): fc.Parameters<T> {
  const seed = process.env.FUZZ_SEED;
  const path = process.env.FUZZ_PATH;
  return {
    numRuns: 10_000_000,
    plugins: [fc.interruptAfterTimeLimit(budgetMs)],
    ...(seed === undefined ? {} : { seed: Number(seed) }),
    ...(path === undefined ? {} : { path }),
  };
}

/** A vitest timeout that leaves room for the budget and shrinking. */
export function testTimeout(budgetMs: number = FUZZ_MS): number {
  return budgetMs * 2 + 30_000;
}

/** Random cut points: splits `bytes` into chunks (some empty, some single octets). */
export const cutsArbitrary = fc.oneof(
  fc.array(fc.nat(), { maxLength: 12 }),
  fc.constant('every-octet' as const),
);

export function split(bytes: Uint8Array, cuts: readonly number[] | 'every-octet'): Uint8Array[] {
  if (cuts === 'every-octet') return Array.from(bytes, (_b, i) => bytes.subarray(i, i + 1));
  const points = cuts.map((cut) => (bytes.length === 0 ? 0 : cut % (bytes.length + 1))).sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const point of points) {
    chunks.push(bytes.subarray(start, point));
    start = point;
  }
  chunks.push(bytes.subarray(start));
  return chunks;
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
