/**
 * Runs the fuzz targets (test/fuzz) for longer than CI does:
 *   npm run fuzz -- --minutes N [--seed S [--path P]] [--target reply-parser|data-encoder|session]
 * Each property is time-boxed by FUZZ_MS; a failure prints its seed and path, replayable with --seed/--path.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/** Three fuzz files share two workers, and the main properties each spend one budget: ~3 budgets of wall clock. */
const BUDGETS_PER_WALL_CLOCK = 3;

function usage(message: string): never {
  console.error(`${message}\nusage: npm run fuzz -- --minutes N [--seed S [--path P]] [--target NAME]`);
  process.exit(2);
}

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '1' },
    seed: { type: 'string' },
    path: { type: 'string' },
    target: { type: 'string' },
  },
  allowPositionals: false,
});

const minutes = Number(values.minutes);
if (!Number.isFinite(minutes) || minutes <= 0) usage('--minutes must be a positive number');
if (values.seed !== undefined && !/^-?\d+$/.test(values.seed)) usage('--seed must be an integer');
if (values.path !== undefined && values.seed === undefined) usage('--path needs --seed');

const files = values.target === undefined ? ['test/fuzz'] : [`test/fuzz/${values.target}.fuzz.test.ts`];
for (const file of files) if (!existsSync(join(root, file))) usage(`no such fuzz target: ${file}`);

const budgetMs = Math.max(1000, Math.round((minutes * 60_000) / BUDGETS_PER_WALL_CLOCK));
const env: NodeJS.ProcessEnv = { ...process.env, FUZZ_MS: String(budgetMs) };
if (values.seed !== undefined) env.FUZZ_SEED = values.seed;
if (values.path !== undefined) env.FUZZ_PATH = values.path;

console.log(
  `fuzzing ${files.join(', ')} for ~${minutes} min (FUZZ_MS=${budgetMs} per property)` +
    (values.seed === undefined ? '' : `, seed ${values.seed}${values.path ? ` path ${values.path}` : ''}`),
);
const vitest = join(root, 'node_modules', '.bin', 'vitest');
const child = spawn(vitest, ['run', ...files, '--reporter', 'default'], { cwd: root, env, stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(code ?? (signal === null ? 1 : 128)));
