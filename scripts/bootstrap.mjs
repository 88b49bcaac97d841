// First step of `npm start`, `npm test` and the other entry points. Node built-ins only: it runs
// `npm ci` when node_modules is missing or was installed from another package-lock.json, so a
// fresh clone needs nothing but Node and npm.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const quiet = process.argv.includes('--quiet');

export function ensureDependencies() {
  const lock = readFileSync(join(root, 'package-lock.json'));
  const digest = createHash('sha256').update(lock).digest('hex');
  const stamp = join(root, 'node_modules', '.releves-lockfile-sha256');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === digest) return false;
  if (!quiet) console.error('[bootstrap] node_modules missing or stale: running npm ci');
  const result = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], {
    cwd: root,
    stdio: quiet ? ['ignore', 'ignore', 'inherit'] : 'inherit',
  });
  if (result.status !== 0) {
    console.error(`[bootstrap] npm ci failed (exit ${result.status})`);
    process.exit(result.status ?? 1);
  }
  writeFileSync(stamp, digest + '\n');
  return true;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  ensureDependencies();
}
