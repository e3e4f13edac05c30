/**
 * Writes the generated specs: spec/state-chart.mmd from the session machine and spec/reply-reactions.md
 * from spec/reply-reactions.json (run: npx tsx scripts/generate-state-chart.ts).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { sessionMachine } from '../src/session/session-machine.js';
import { stateChart } from './spec/chart.js';
import { replyReactionsMarkdown } from './spec/reactions-doc.js';

const spec = (name: string) => fileURLToPath(new URL(`../spec/${name}`, import.meta.url));

writeFileSync(spec('state-chart.mmd'), stateChart(sessionMachine));
const table = JSON.parse(readFileSync(spec('reply-reactions.json'), 'utf8'));
writeFileSync(spec('reply-reactions.md'), replyReactionsMarkdown(table));
console.log('wrote spec/state-chart.mmd and spec/reply-reactions.md');
