/** Writes spec/state-chart.mmd from the session machine (run: npx tsx scripts/generate-state-chart.ts). */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { stateChart } from '../src/session/chart.js';
import { sessionMachine } from '../src/session/session-machine.js';

const target = fileURLToPath(new URL('../spec/state-chart.mmd', import.meta.url));
writeFileSync(target, stateChart(sessionMachine));
console.log(`wrote ${target}`);
