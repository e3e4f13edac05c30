// Prints per-suite counts (so CI shows the interop, threat and fuzz suites ran, not skipped) and
// the plain closing line CI reads ("N passed, M failed, K skipped") from vitest's JSON report.
import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';

const file = process.argv[2] ?? '.vitest-results.json';
if (!existsSync(file)) {
  console.error(`no vitest report at ${file}: the suite did not run (typecheck or lint failed first?)`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}
const report = JSON.parse(readFileSync(file, 'utf8'));
const suites = new Map();
for (const result of report.testResults ?? []) {
  const path = relative(process.cwd(), result.name);
  const suite = path.split('/')[1] ?? path;
  const counts = suites.get(suite) ?? { passed: 0, failed: 0, skipped: 0, files: 0 };
  counts.files += 1;
  if (result.status === 'failed' && (result.assertionResults ?? []).length === 0) counts.failed += 1;
  for (const assertion of result.assertionResults ?? []) {
    if (assertion.status === 'passed') counts.passed += 1;
    else if (assertion.status === 'failed') counts.failed += 1;
    else counts.skipped += 1;
  }
  suites.set(suite, counts);
}
console.log('suite            files  passed  failed  skipped');
for (const [suite, c] of [...suites].sort(([a], [b]) => a.localeCompare(b))) {
  console.log(
    `${suite.padEnd(16)} ${String(c.files).padStart(5)} ${String(c.passed).padStart(7)} ${String(c.failed).padStart(7)} ${String(c.skipped).padStart(8)}`,
  );
}
const passed = report.numPassedTests ?? 0;
// A file that failed to load has no test results of its own: count it once as a failure.
const brokenFiles = (report.testResults ?? []).filter(
  (result) => result.status === 'failed' && (result.assertionResults ?? []).length === 0,
).length;
const failed = (report.numFailedTests ?? 0) + brokenFiles;
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
