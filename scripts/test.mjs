// `npm test`: installs dependencies when needed (Node built-ins only), prepares the generated
// Prisma client, the Temporal servers and Debian's chromium (end-to-end tests), then runs the type-check, the linter, the formatter
// check and every Jest test, and ends with the plain line `N passed, N failed` that CI reads.
// Extra arguments go to Jest (e.g. `npm test -- test/cfonb`, `npm test -- --selectProjects unit`).
// Jest runs its three projects (jest.config.js: unit, integration, temporal) in one invocation: its
// JSON results hold every test file once, whichever project ran it.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureDependencies } from './bootstrap.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
ensureDependencies();

const jestArgs = process.argv.slice(2);
const step = (label, cmd, args) => {
  const started = Date.now();
  console.log(`\n── ${label}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: process.env });
  const ok = r.status === 0;
  console.log(
    `── ${label}: ${ok ? 'ok' : `FAILED (exit ${r.status ?? r.signal})`} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  return ok;
};

let passed = 0;
let failed = 0;
const prepared =
  step('prepare (Prisma client, Temporal servers)', bin('tsx'), [join(root, 'scripts', 'prepare.ts')]) &&
  // The end-to-end tests drive Debian's chromium (installed once with apt-get when missing).
  step('chromium (end-to-end browser)', process.execPath, [join(root, 'scripts', 'chromium.mjs')]);
if (!prepared) {
  console.log('0 passed, 1 failed');
  process.exit(1);
}
// Static checks count as one test each in the closing line.
for (const [label, cmd, args] of [
  ['type-check (tsc)', bin('tsc'), ['--noEmit', '-p', 'tsconfig.json']],
  ['lint (eslint)', bin('eslint'), ['.', '--max-warnings=0']],
  ['format (prettier --check)', bin('prettier'), ['--check', '.', '--log-level=warn']],
  // The house's walls (.dependency-cruiser.cjs): no import loop, each room imports only what it may.
  ['imports (dependency-cruiser)', 'npm', ['run', '--silent', 'lint:imports']],
]) {
  if (step(label, cmd, args)) passed++;
  else failed++;
}

const resultsDir = join(root, '.data');
mkdirSync(resultsDir, { recursive: true });
const results = join(resultsDir, 'jest-results.json');
rmSync(results, { force: true });
const jestOk = step('jest', bin('jest'), ['--ci', '--json', `--outputFile=${results}`, ...jestArgs]);
if (existsSync(results)) {
  const r = JSON.parse(readFileSync(results, 'utf8'));
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  // A suite that fails to load has no failed test but must still fail the run.
  failed += r.testResults.filter(
    (s) => s.status === 'failed' && s.assertionResults.every((a) => a.status !== 'failed'),
  ).length;
} else if (!jestOk) {
  failed++;
}
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed === 0 && jestOk ? 0 : 1);
