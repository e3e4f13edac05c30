/**
 * Writes the generated files: spec/state-chart.mmd from the session machine, spec/reply-reactions.md
 * from spec/reply-reactions.json, and test/types/readme-examples.ts from the README's examples
 * (run: npm run spec:generate).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { sessionMachine } from '../src/session/session-machine.js';
import { stateChart } from './spec/chart.js';
import { replyReactionsMarkdown } from './spec/reactions-doc.js';
import { readmeExamplesModule } from './spec/readme-examples.js';

const spec = (name: string) => fileURLToPath(new URL(`../spec/${name}`, import.meta.url));

writeFileSync(spec('state-chart.mmd'), stateChart(sessionMachine));
const table = JSON.parse(readFileSync(spec('reply-reactions.json'), 'utf8'));
writeFileSync(spec('reply-reactions.md'), replyReactionsMarkdown(table));
const root = (name: string) => fileURLToPath(new URL(`../${name}`, import.meta.url));
writeFileSync(
  root('test/types/readme-examples.ts'),
  readmeExamplesModule(readFileSync(root('README.md'), 'utf8')),
);
console.log('wrote spec/state-chart.mmd, spec/reply-reactions.md and test/types/readme-examples.ts');
