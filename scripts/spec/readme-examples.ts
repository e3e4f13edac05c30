/**
 * Turns the README's TypeScript examples into one module, so that `npm run typecheck` compiles them
 * against the source (and a test runs the one that needs only loopback: the simulator's). Pure;
 * scripts/generate-state-chart.ts writes test/types/readme-examples.ts and a test checks it is current.
 *
 * Each ```ts block becomes `export async function readmeExampleN()` holding the block's statements;
 * its imports (one line each) are merged at the top, with the package's names mapped to the source.
 * The few names an example leaves to the reader (`from`, `rcpt`, …) are declared, typed, up front.
 */

/** Names the README's examples use without defining them: what a reader brings. */
export const READER_SUPPLIED = ['accessKeyId', 'secretAccessKey', 'from', 'rcpt'] as const;

const ENTRY_POINTS: Readonly<Record<string, string>> = {
  'smtp-machine': '../../src/index.js',
  'smtp-machine/ses-simulator': '../../src/ses/simulator/simulator.js',
  // Node's own modules, as they are.
  'node:net': 'node:net',
  'node:tls': 'node:tls',
};

const IMPORT = /^import \{ ([^}]+) \} from '([^']+)';$/;

/** The code of every ```ts block, in order. */
export function typescriptBlocks(markdown: string): string[] {
  const blocks: string[] = [];
  const fence = /^```ts\n([\s\S]*?)^```$/gm;
  for (const match of markdown.matchAll(fence)) blocks.push(match[1] ?? '');
  return blocks;
}

export function readmeExamplesModule(markdown: string): string {
  const imports = new Map<string, Set<string>>();
  const functions: string[] = [];
  typescriptBlocks(markdown).forEach((block, index) => {
    const body: string[] = [];
    for (const line of block.replace(/\n$/, '').split('\n')) {
      if (!line.startsWith('import ')) {
        body.push(line === '' ? '' : `  ${line}`);
        continue;
      }
      const match = IMPORT.exec(line);
      const target = match && ENTRY_POINTS[match[2] ?? ''];
      if (!match || !target) throw new Error(`README example ${index + 1}: unsupported import: ${line}`);
      const names = imports.get(target) ?? new Set<string>();
      for (const name of (match[1] ?? '').split(',')) names.add(name.trim());
      imports.set(target, names);
    }
    while (body[0] === '') body.shift();
    functions.push(`export async function readmeExample${index + 1}(): Promise<void> {`, ...body, '}', '');
  });
  const head = [
    '// Generated from README.md by scripts/generate-state-chart.ts. Do not edit.',
    ...[...imports].map(([target, names]) => `import { ${[...names].sort().join(', ')} } from '${target}';`),
    '',
    ...READER_SUPPLIED.map((name) => `declare const ${name}: string;`),
    '',
  ];
  return [...head, ...functions].join('\n');
}
