/**
 * The README's examples are code that compiles and, where it needs only loopback, runs:
 * test/types/readme-examples.ts is generated from them (scripts/spec/readme-examples.ts) and
 * type-checked by `npm run typecheck`; this checks it is current and runs the simulator's example.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { readmeExamplesModule, typescriptBlocks } from '../../scripts/spec/readme-examples.js';
import { readmeExample4 } from './readme-examples.js';

const read = (name: string) => readFileSync(new URL(`../../${name}`, import.meta.url), 'utf8');
const README = read('README.md');

afterEach(() => {
  vi.restoreAllMocks();
});

describe('README examples', () => {
  test('test/types/readme-examples.ts holds every ```ts block of the README', () => {
    expect(typescriptBlocks(README)).toHaveLength(4);
    expect(read('test/types/readme-examples.ts'), 'stale: run `npm run spec:generate`').toBe(
      readmeExamplesModule(README),
    );
  });

  test('an import the module cannot map is refused, not dropped', () => {
    expect(() => readmeExamplesModule("```ts\nimport { x } from 'nodemailer';\n```\n")).toThrow(
      /unsupported import/,
    );
  });

  test('the simulator example delivers its message and arms the failure it shows', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    await readmeExample4();
    // console.log(sim.messages.length, sim.stats.accepted, sim.stats.rejected)
    expect(log).toHaveBeenCalledTimes(1);
    expect(log.mock.calls[0]?.slice(0, 2)).toEqual([1, 1]);
  });
});
